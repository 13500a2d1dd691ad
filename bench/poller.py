#!/usr/bin/env python3
"""The plain poller of issue 25's rows, as a program a user would write and run: uploads the
manifest's input images, then a thread pool submits each job (image i % images, prompt i //
images, as `make_manifest` lays them out), queries every INTERVAL seconds until the task has
ended, and writes its result to OUT/<image>/<prompt>.png: the work rh-batch's run does, without
its journal, report or dataset. Prints {"queries": N} on stdout.

Usage: poller.py BASE_URL FOLDER JOBS SLOTS INTERVAL OUT
(BASE_URL ends in /openapi/v2; FOLDER holds in/*.png.)"""
import concurrent.futures
import json
import os
import sys
import threading
import time
import urllib.request
import uuid

HEADERS = {"Authorization": "Bearer bench-key"}


def post(base, path, body):
    """POSTs `body` as JSON to the API at `base` with the bench's key; the answer."""
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={**HEADERS, "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def main():
    base, folder, jobs, slots, interval, out = sys.argv[1:7]
    jobs, slots, interval = int(jobs), int(slots), float(interval)

    def upload(path):
        boundary = uuid.uuid4().hex
        with open(path, "rb") as f:
            content = f.read()
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{os.path.basename(path)}\"\r\n"
                f"Content-Type: image/png\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(base + "/media/upload/binary", data=body, method="POST",
                                         headers={**HEADERS, "Content-Type": f"multipart/form-data; boundary={boundary}"})
        with urllib.request.urlopen(request) as answer:
            return json.load(answer)["data"]["download_url"]

    images = sorted(os.path.join(folder, "in", name) for name in os.listdir(os.path.join(folder, "in")))
    queries = [0]
    lock = threading.Lock()

    def one(number):
        image = number % len(images)
        prompt = number // len(images)
        task = post(base, "/rhart-image-x-official/edit",
                    {"prompt": f"Variation {prompt}: restyle the room and keep its layout.", "image": urls[image]})["taskId"]
        while True:
            time.sleep(interval)
            with lock:
                queries[0] += 1
            answer = post(base, "/query", {"taskId": task})
            if answer.get("status") in ("SUCCESS", "FAILED"):
                for result in answer.get("results") or []:
                    data = urllib.request.urlopen(result["url"]).read()
                    target = os.path.join(out, f"img{image:03d}", f"variation-{prompt}.png")
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with open(target + ".part", "wb") as f:
                        f.write(data)
                    os.replace(target + ".part", target)
                return

    with concurrent.futures.ThreadPoolExecutor(max_workers=slots) as pool:
        urls = list(pool.map(upload, images))
        list(pool.map(one, range(jobs)))
    print(json.dumps({"queries": queries[0]}))


if __name__ == "__main__":
    main()
