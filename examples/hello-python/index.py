# A Python function: `scf-local deploy examples/hello-python` creates it as Python3.9 (its handler file is
# index.py). print() lines go into the log as they are; the return value becomes the record's retMsg.
import logging
import time

started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())  # module code runs once per instance
print("cold start at", started)
logger = logging.getLogger()
logger.setLevel(logging.INFO)


def main_handler(event, context):
    logger.info("request %s", context["request_id"])
    return {"message": "hello %s" % event.get("name", "world"), "instanceStartedAt": started}
