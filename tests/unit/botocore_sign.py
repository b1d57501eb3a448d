"""Signs requests with botocore's SigV4Auth for sigv4_test's cross-check.

stdin: a JSON array of {method, url, headers: [[name, value]], body_hex,
access_key, secret_key, token (or null), region, service, time (Unix
seconds)}; stdout: a JSON array of {authorization, x_amz_date, token,
canonical_request}, one per request, in order. Exits non-zero (with the
reason on stderr) when botocore is missing.
"""

import datetime
import json
import sys
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(case):
    request = AWSRequest(method=case["method"], url=case["url"], data=bytes.fromhex(case["body_hex"]))
    for name, value in case["headers"]:
        request.headers[name] = value  # HTTPHeaders appends: repeated names stay repeated
    signer = SigV4Auth(Credentials(case["access_key"], case["secret_key"], case["token"]),
                       case["service"], case["region"])
    when = datetime.datetime.fromtimestamp(case["time"], tz=datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        signer.add_auth(request)
    return {
        "authorization": request.headers["Authorization"],
        "x_amz_date": request.headers["X-Amz-Date"],
        "token": request.headers.get("X-Amz-Security-Token"),
        "canonical_request": signer.canonical_request(request),
    }


def main():
    json.dump([sign(case) for case in json.load(sys.stdin)], sys.stdout)


if __name__ == "__main__":
    main()
