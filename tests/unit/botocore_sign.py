"""Signs requests with botocore's SigV4Auth for sigv4_test's cross-check.

stdin: a JSON array of {method, url, headers: [[name, value]], body,
access_key, secret_key, token, region, service}; stdout: the JSON array of
their Authorization headers, signed at 2015-08-30T12:36:00Z.
"""

import datetime
import json
import sys
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FIXED = datetime.datetime(2015, 8, 30, 12, 36, 0)


def main():
    out = []
    for case in json.load(sys.stdin):
        request = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode())
        for name, value in case["headers"]:
            request.headers[name] = value
        credentials = Credentials(case["access_key"], case["secret_key"], case["token"])
        with mock.patch("botocore.auth.get_current_datetime", return_value=FIXED):
            SigV4Auth(credentials, case["service"], case["region"]).add_auth(request)
        out.append(request.headers["Authorization"])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
