"""Read scimflow's provisioning events (README "Events"): python docs/examples/consume_events.py"""

import asyncio
import json
import os

from aiokafka import AIOKafkaConsumer


async def consume(handle, bootstrap_servers="127.0.0.1:9092", group_id="my-platform"):
    consumer = AIOKafkaConsumer("scimflow.events", bootstrap_servers=bootstrap_servers, group_id=group_id,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    handled = set()  # keep these in your database, written with what handle() writes
    try:
        async for record in consumer:
            event = json.loads(record.value)
            if event["id"] not in handled:  # at least once: a redelivered event has the same id
                await handle(event)  # e.g. "scimflow.user.deactivated": revoke event["subject"]'s access
                handled.add(event["id"])
            await consumer.commit()
    finally:
        await consumer.stop()


async def show(event):
    print(event["time"], event["tenantid"], event["type"], event["subject"])


if __name__ == "__main__":
    asyncio.run(consume(show, os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")))
