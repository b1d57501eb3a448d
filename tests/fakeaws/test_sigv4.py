"""fakeaws's SigV4 verifier against AWS's own Signature Version 4 test suite
(../shared/data/aws/aws4_testsuite): every canonical request it builds must be
the suite's, and every signed request must verify; a changed byte must not."""

import datetime
import hashlib
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sigv4  # noqa: E402
import world as world_module  # noqa: E402

SUITE = os.path.join(world_module.default_data_dir(), "aws4_testsuite")
CREDENTIALS = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
SIGNED_AT = datetime.datetime(2015, 8, 30, 12, 36, tzinfo=datetime.timezone.utc)


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def parse_request(text):
    """An HTTP request as the suite writes it: (method, path, query, [(name, value)], body).
    Header lines that start with whitespace continue the previous value."""
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    method, _, rest = lines[0].partition(" ")
    target = rest.rsplit(" ", 1)[0]  # the path may hold spaces (get-space)
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
        else:
            name, _, value = line.partition(":")
            headers.append((name, value))
    path, _, query = target.partition("?")
    return method, path, query, headers, body


def cases():
    for directory, _, files in sorted(os.walk(SUITE)):
        for name in sorted(files):
            if name.endswith(".sreq"):
                yield os.path.join(directory, name[:-len(".sreq")])


@unittest.skipUnless(os.path.isdir(SUITE), f"the AWS SigV4 test suite is absent ({SUITE})")
class TestAwsSuite(unittest.TestCase):
    def load(self, base):
        # Headers from the signed request (it carries the session token where
        # a case has one), the Authorization from .authz: the suite's .sreq of
        # get-vanilla-with-session-token repeats get-vanilla's signature.
        method, path, query, headers, body = parse_request(read(base + ".sreq"))
        headers = [(n, v) for n, v in headers if n.lower() != "authorization"]
        token = next((v for n, v in headers if n.lower() == "x-amz-security-token"), None)
        return method, path, query, headers, body.encode(), read(base + ".authz"), token

    def test_canonical_requests_are_the_suites(self):
        checked = 0
        for base in cases():
            with self.subTest(case=os.path.basename(base)):
                method, path, query, headers, body, authz, _ = self.load(base)
                signed = sigv4._AUTH.match(authz)["signed"].split(";")
                creq = sigv4.canonical_request(method, path, query, headers, signed, hashlib.sha256(body).hexdigest())
                self.assertEqual(creq, read(base + ".creq"))
                checked += 1
        self.assertGreaterEqual(checked, 30)

    def test_signed_requests_verify(self):
        for base in cases():
            with self.subTest(case=os.path.basename(base)):
                method, path, query, headers, body, authz, token = self.load(base)
                got = sigv4.verify(method, path, query, headers + [("Authorization", authz)], body,
                                   {CREDENTIALS[0]: (CREDENTIALS[1], token)}, now=SIGNED_AT)
                self.assertEqual(got, ("AKIDEXAMPLE", "us-east-1", "service"))

    def test_a_changed_request_does_not_verify(self):
        method, path, query, headers, body, authz, _ = self.load(os.path.join(SUITE, "post-x-www-form-urlencoded",
                                                                              "post-x-www-form-urlencoded"))
        keys = {CREDENTIALS[0]: (CREDENTIALS[1], None)}
        for m, q, b in [(method, query, body + b"x"), (method, "a=b", body), ("PUT", query, body)]:
            with self.assertRaises(sigv4.SigV4Error) as caught:
                sigv4.verify(m, path, q, headers + [("Authorization", authz)], b, keys, now=SIGNED_AT)
            self.assertEqual((caught.exception.status, caught.exception.code), (403, "SignatureDoesNotMatch"))
        with self.assertRaises(sigv4.SigV4Error) as caught:
            sigv4.verify(method, path, query, headers + [("Authorization", authz)], body, keys,
                         now=SIGNED_AT + datetime.timedelta(minutes=16))
        self.assertEqual((caught.exception.status, caught.exception.code), (400, "RequestExpired"))


if __name__ == "__main__":
    unittest.main()
