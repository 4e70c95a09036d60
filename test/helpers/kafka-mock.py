"""librdkafka's in-process mock Kafka cluster (3 brokers) for the stream tests.

Creating a confluent_kafka Producer with `test.mock.num.brokers` starts the mock cluster inside this process;
the bootstrap address is printed as one JSON line on stdout. The cluster lives until stdin closes (the parent
test process ends it by closing the pipe, or by dying). Topics are created by a first produce (auto-create).
"""
import json
import sys

from confluent_kafka import Producer

brokers = int(sys.argv[1]) if len(sys.argv) > 1 else 3
producer = Producer({"test.mock.num.brokers": brokers, "client.id": "widedeep-mock"})
meta = producer.list_topics(timeout=10)
addresses = ",".join(f"{b.host}:{b.port}" for b in meta.brokers.values())
sys.stdout.write(json.dumps({"bootstrap": addresses, "brokers": len(meta.brokers)}) + "\n")
sys.stdout.flush()
for _ in sys.stdin:
    pass
