"""AWS Signature Version 4 verification, as AWS services check it.

Written from the specification (canonical request → string to sign →
HMAC chain), not with botocore, so that a client's signer is checked
against an independent implementation.
"""

import hashlib
import hmac
import re
import urllib.parse
from datetime import datetime, timezone

_AUTH = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<akid>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<signature>[0-9a-f]{64})\s*$")

# AWS refuses a request dated more than 15 minutes from its clock, either way.
MAX_SKEW_SECONDS = 15 * 60


class SigV4Error(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _uri_encode(s, keep_slash=False):
    safe = "-_.~" + ("/" if keep_slash else "")
    return urllib.parse.quote(s, safe=safe)


def _normalize_path(path):
    segments = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if segments:
                segments.pop()
            continue
        segments.append(seg)
    out = "/" + "/".join(segments)
    if path.endswith("/") and out != "/":
        out += "/"
    return out


def canonical_query(query):
    pairs = []
    for part in query.split("&") if query else []:
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((_uri_encode(urllib.parse.unquote(key)), _uri_encode(urllib.parse.unquote(value))))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def canonical_request(method, path, query, headers, signed_headers, payload_hash):
    """`headers`: list of (name, value) as received; names compared case-insensitively."""
    values = {}
    for name, value in headers:
        values.setdefault(name.lower(), []).append(" ".join(value.strip().split()))
    canonical_headers = "".join(f"{h}:{','.join(values.get(h, []))}\n" for h in signed_headers)
    # Services other than S3 encode the (already encoded) path once more.
    uri = _uri_encode(_normalize_path(path), keep_slash=True)
    return "\n".join([method, uri, canonical_query(query), canonical_headers, ";".join(signed_headers), payload_hash])


def _sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signature(secret, date, region, service, string_to_sign):
    k = _sign(("AWS4" + secret).encode(), date)
    k = _sign(k, region)
    k = _sign(k, service)
    k = _sign(k, "aws4_request")
    return hmac.new(k, string_to_sign.encode(), hashlib.sha256).hexdigest()


def verify(method, path, query, headers, body, credentials, now=None):
    """Checks a request's SigV4 signature.

    `credentials` maps access key id → (secret, session token or None).
    Returns (access key, region, service); raises SigV4Error as AWS answers.
    """
    header_map = {}
    for name, value in headers:
        header_map.setdefault(name.lower(), value)
    auth = header_map.get("authorization")
    if not auth:
        # EC2 reads an unsigned request as SigV2 query authentication missing its key.
        raise SigV4Error(400, "MissingParameter", "The request must contain the parameter AWSAccessKeyId")
    m = _AUTH.match(auth.strip())
    if not m:
        raise SigV4Error(400, "IncompleteSignature", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters")
    akid = m["akid"]
    if akid not in credentials:
        raise SigV4Error(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
    secret, token = credentials[akid]
    amz_date = header_map.get("x-amz-date", "")
    try:
        when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise SigV4Error(400, "IncompleteSignature",
                         "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    now = now or datetime.now(timezone.utc)
    if abs((now - when).total_seconds()) > MAX_SKEW_SECONDS:
        raise SigV4Error(400, "RequestExpired", "Request has expired.")
    if m["date"] != amz_date[:8]:
        raise SigV4Error(403, "SignatureDoesNotMatch", "Credential date does not match X-Amz-Date")
    given_token = header_map.get("x-amz-security-token")
    if token is not None and given_token != token:
        raise SigV4Error(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
    signed = m["signed"].split(";")
    if "host" not in signed:
        raise SigV4Error(403, "SignatureDoesNotMatch", "The host header must be signed")
    payload_hash = header_map.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    creq = canonical_request(method, path, query, headers, signed, payload_hash)
    scope = f"{m['date']}/{m['region']}/{m['service']}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    expected = signature(secret, m["date"], m["region"], m["service"], sts)
    if not hmac.compare_digest(expected, m["signature"]):
        raise SigV4Error(403, "SignatureDoesNotMatch",
                         "The request signature we calculated does not match the signature you provided. "
                         "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
    return akid, m["region"], m["service"]
