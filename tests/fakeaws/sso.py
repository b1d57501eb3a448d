"""IAM Identity Center for fakeaws: the SSO portal's GetRoleCredentials and
the SSO OIDC service's CreateToken (refresh_token grant), as AWS answers them.

A test registers what `aws sso login` would have set up, through
`POST /_fakeaws/sso`:

    {"access_tokens": ["..."],                       # bearer tokens the portal accepts
     "clients": [{"clientId": "...", "clientSecret": "...", "refreshToken": "..."}],
     "roles": ["111122223333/ReadOnly"],             # account/role pairs the tokens may use
     "credential_seconds": 3600}                     # how long issued credentials last

GetRoleCredentials issues fresh `ASIA…` credentials that fakeaws' own SigV4
verification then accepts until they expire (then ExpiredToken, as AWS); `GET /_fakeaws/sso` lists them, so a test can
look for them where they must not be. CreateToken issues a new access token and rotates
the refresh token, as the OIDC service does. The request log never holds a
token or a secret: only the SHA-256 of the bearer token.
"""

import hashlib
import json
import secrets
import threading
import time


class SsoError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _random(prefix, n):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


class SsoService:
    def __init__(self, credentials, accounts):
        self.credentials = credentials  # fakeaws' accepted access keys: issued ones are added
        self.accounts = accounts  # access key → its account: issued keys are of the account asked for
        self.lock = threading.Lock()
        self.access_tokens = set()
        self.clients = {}  # clientId -> {"clientSecret", "refreshToken"}
        self.roles = set()
        self.credential_seconds = 3600
        self.issued = []  # what GetRoleCredentials handed out, for a test's canaries
        self.expires = {}  # issued access key -> when it stops being accepted (epoch seconds)

    def configure(self, spec):
        with self.lock:
            self.access_tokens.update(spec.get("access_tokens", []))
            for c in spec.get("clients", []):
                self.clients[c["clientId"]] = {"clientSecret": c["clientSecret"], "refreshToken": c["refreshToken"]}
            self.roles.update(spec.get("roles", []))
            self.credential_seconds = int(spec.get("credential_seconds", self.credential_seconds))
        return {"access_tokens": len(self.access_tokens), "clients": len(self.clients), "roles": len(self.roles)}

    def get_role_credentials(self, bearer, params):
        """GET /federation/credentials?account_id=&role_name= → the JSON answer."""
        account, role = params.get("account_id", ""), params.get("role_name", "")
        if not account or not role:
            raise SsoError(400, "InvalidRequestException", "account_id and role_name are required")
        with self.lock:
            if not bearer or bearer not in self.access_tokens:
                raise SsoError(401, "UnauthorizedException", "Session token not found or invalid")
            if f"{account}/{role}" not in self.roles:
                raise SsoError(403, "ForbiddenException", "No access")
            akid, secret, token = _random("ASIA", 16), secrets.token_urlsafe(30), secrets.token_urlsafe(60)
            self.credentials[akid] = (secret, token)
            self.accounts[akid] = account
            self.expires[akid] = time.time() + self.credential_seconds
            self.issued.append({"accessKeyId": akid, "secretAccessKey": secret, "sessionToken": token,
                                "account_id": account, "role_name": role})
            expiration_ms = int((time.time() + self.credential_seconds) * 1000)
        return {"roleCredentials": {"accessKeyId": akid, "secretAccessKey": secret, "sessionToken": token,
                                    "expiration": expiration_ms}}

    def create_token(self, body):
        """POST /token (CreateToken) with the refresh_token grant → the JSON answer."""
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            raise SsoError(400, "InvalidRequestException", "the body is not JSON")
        if request.get("grantType") != "refresh_token":
            raise SsoError(400, "UnsupportedGrantTypeException", "only the refresh_token grant is served")
        with self.lock:
            client = self.clients.get(request.get("clientId"))
            if client is None or client["clientSecret"] != request.get("clientSecret"):
                raise SsoError(401, "InvalidClientException", "Invalid client")
            if client["refreshToken"] != request.get("refreshToken"):
                raise SsoError(400, "InvalidGrantException", "Invalid refresh token provided")
            access = "aoa" + secrets.token_urlsafe(40)
            client["refreshToken"] = "aor" + secrets.token_urlsafe(40)
            self.access_tokens.add(access)
            return {"accessToken": access, "tokenType": "Bearer", "expiresIn": 28800,
                    "refreshToken": client["refreshToken"]}

    def expired(self, akid):
        """True once credentials GetRoleCredentials issued have expired: AWS then answers ExpiredToken."""
        with self.lock:
            return akid in self.expires and time.time() >= self.expires[akid]

    def summary(self):
        with self.lock:
            return {"issued": list(self.issued)}

    @staticmethod
    def token_hash(token):
        return hashlib.sha256(token.encode()).hexdigest() if token else None
