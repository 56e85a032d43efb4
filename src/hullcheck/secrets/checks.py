"""Second looks at a regex match: entropy, placeholders, and a few format checks.

Regular expressions find candidates; these functions decide whether a candidate is a plausible
secret. All take the raw secret (and, for assignments, the key) and return True to keep it.
They never raise on odd input.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections import Counter

# Whole values that mean "fill me in", not a credential. A real password that is literally one
# of these is a weak-password problem, which is not what secret scanning is for; flagging them
# would drown real findings in templates and documentation.
PLACEHOLDER_WORDS = frozenset({
    "password", "passwd", "pass", "pwd", "secret", "token", "apikey", "api_key", "key",
    "changeme", "change_me", "change-me", "changeit", "placeholder", "redacted", "dummy",
    "none", "null", "nil", "undefined", "empty", "default", "example", "sample", "test",
    "testing", "foo", "foobar", "bar", "baz", "value", "string", "str", "user", "username",
    "mypassword", "yourpassword", "secretpassword", "password123", "todo", "fixme", "xxx",
    "tiger",  # scott/tiger, the demo account in database documentation everywhere
})
_PLACEHOLDER_PREFIXES = ("your_", "your-", "yourpass", "yoursecret", "yourtoken", "insert_", "insert-",
                         "replace_", "replace-", "replaceme", "enter_", "enter-", "put_", "put-")
_TEMPLATE_MARKS = ("${", "{{", "}}", "%(", "%s", "%d", "#{", "$(", "<%", "[[")
_MASK_CHARS = frozenset("x*.#?-_0X")

# Last word of a key that names something about a secret rather than the secret itself
# (``password_file``, ``tokenUrl``, ``secret_name``).
KEY_DENY_SUFFIXES = frozenset({
    "url", "uri", "endpoint", "path", "file", "filename", "dir", "name", "type", "id", "ids", "len",
    "length", "size", "count", "format", "field", "fields", "header", "prefix", "suffix", "env",
    "var", "expires", "expiry", "expiration", "ttl", "timeout", "enabled", "required", "policy",
    "mode", "method", "label", "placeholder", "regex", "pattern", "hash", "hashed", "algorithm",
    "alg", "class", "manager", "provider", "handler", "store", "cmd", "command", "script", "min",
    "max", "version", "ref", "arn", "location", "source", "kind", "scope", "scopes", "param",
    "params", "prompt", "message", "msg", "error", "help", "hint", "description", "title", "text",
    "validator", "validation", "rotation", "reset", "changed", "updated", "created",
    "age", "digest", "salt", "iterations", "rounds", "secure", "storage", "keyring", "input",
})
# Tokens that are not credentials: pagination cursors, idempotency keys, CSRF form tokens.
KEY_DENY_WORDS = ("nexttoken", "pagetoken", "continuationtoken", "paginationtoken", "cursortoken",
                  "inputtoken", "outputtoken", "requesttoken", "clienttoken", "synctoken", "idempotency",
                  "csrf", "xsrf", "publickey")
# Substrings that make a key name a credential's name.
KEY_WORDS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "api_key", "api-key",
             "accesskey", "access_key", "access-key", "privatekey", "private_key", "private-key",
             "credential", "authkey", "auth_key")
_KEY_SEGMENTS = frozenset({"pass", "pw", "pwd"})
_KEY_EXACT_DENY = frozenset({"pwd", "oldpwd"})  # the shell's working directory


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s own character distribution."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def is_placeholder(value: str, key: str = "") -> bool:
    """True for template references, masks and fill-me-in words (see ``PLACEHOLDER_WORDS``)."""
    v = value.strip().strip("\"'`")
    if not v:
        return True
    low = v.lower()
    if low in PLACEHOLDER_WORDS or (key and low == key.lower()):
        return True
    if low.startswith(_PLACEHOLDER_PREFIXES):
        return True
    if any(m in v for m in _TEMPLATE_MARKS):
        return True
    if v[0] == "$" and (len(v) == 1 or v[1:].replace("_", "").isalnum()):
        return True  # $VAR
    if (v[0], v[-1]) in (("<", ">"), ("{", "}"), ("[", "]"), ("(", ")")):
        return True  # <password>, {secret}
    if len(set(low)) == 1 or set(v) <= _MASK_CHARS:
        return True  # xxxxxxxx, ********, 00000000
    return "xxxx" in low or "****" in v or "..." in v


def _key_words(key: str) -> list[str]:
    """``dbPasswordFile`` / ``DB_PASSWORD-file`` -> ["db", "password", "file"]."""
    out: list[str] = []
    cur = ""
    prev = ""
    for ch in key:
        if not ch.isalnum():
            if cur:
                out.append(cur.lower())
            cur = ""
        elif ch.isupper() and prev.islower() and cur:
            out.append(cur.lower())
            cur = ch
        else:
            cur += ch
        prev = ch
    if cur:
        out.append(cur.lower())
    return out


MAX_KEY_LENGTH = 64  # longer "keys" are message ids and prose, not variable names


def secretish_key(key: str) -> bool:
    """Does ``key`` name a credential (``DB_PASSWORD``, ``clientSecret``) and not something about
    one (``password_file``, ``tokenUrl``)?"""
    k = key.strip().strip("\"'`")
    low = k.lower()
    if not low or len(low) > MAX_KEY_LENGTH or low in _KEY_EXACT_DENY:
        return False
    words = _key_words(k)
    if not words or words[-1] in KEY_DENY_SUFFIXES:
        return False
    joined = "".join(words)
    if any(w in joined for w in KEY_DENY_WORDS):
        return False
    if any(w in low for w in KEY_WORDS):
        return True
    return any(w in joined for w in ("password", "secret", "token", "apikey", "accesskey", "privatekey")) or any(
        w in _KEY_SEGMENTS for w in words
    )


MIN_GENERIC_LENGTH = 8
MAX_GENERIC_LENGTH = 200
MIN_GENERIC_ENTROPY = 3.0  # bits per character; random base62 of 16+ chars is above 3.5


def _numeric(value: str) -> bool:
    """A number literal: ``-0x3f879678``, ``1e-9``, ``0755`` (constants named ``...TOKEN``)."""
    v = value.lstrip("+-").lower()
    if v.startswith("0x"):
        return len(v) > 2 and all(c in "0123456789abcdef_" for c in v[2:])
    try:
        float(v)
    except ValueError:
        return False
    return True


def _identifier(part: str) -> bool:
    return bool(part) and (part[0].isalpha() or part[0] == "_") and part.replace("_", "").isalnum()


def _dotted_name(value: str) -> bool:
    """``rust_openssl.hpke.X25519PrivateKey``, ``x25519.X25519PrivateKey``: a reference in code."""
    parts = value.split(".")
    return len(parts) >= 2 and all(_identifier(p) for p in parts)


def plausible_assigned_secret(key: str, value: str) -> bool:
    """The generic rule's test for ``key = value``: a credential-like key, a value that is not a
    placeholder, a URL, a path or a plain word, and enough entropy."""
    if not secretish_key(key):
        return False
    v = value.strip()
    if not MIN_GENERIC_LENGTH <= len(v) <= MAX_GENERIC_LENGTH or not v.isascii():
        return False
    if is_placeholder(v, key) or "://" in v or v.startswith(("/", "~/", "./", "../")):
        return False
    if _numeric(v) or _dotted_name(v):
        return False
    if not any(c.isdigit() for c in v) or not any(c.isalpha() for c in v):
        return False  # identifiers (NextPageToken, settings.SECRET_KEY) and plain numbers
    return shannon_entropy(v) >= MIN_GENERIC_ENTROPY


def _b64decode(text: str, urlsafe: bool = False) -> bytes | None:
    pad = "=" * (-len(text) % 4)
    try:
        if urlsafe:
            return base64.urlsafe_b64decode(text + pad)
        return base64.b64decode(text + pad, validate=True)
    except (binascii.Error, ValueError):
        return None


def jwt_header_ok(token: str) -> bool:
    """A JWT's first segment decodes to a JSON object naming its algorithm."""
    raw = _b64decode(token.split(".", 1)[0], urlsafe=True)
    if raw is None or len(raw) > 4096:
        return False
    try:
        head = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # nesting: '{"a":[[[[...'
        return False
    return isinstance(head, dict) and "alg" in head


def docker_auth_ok(value: str) -> bool:
    """A Docker config ``auth`` is base64 of ``user:password``, both parts non-empty."""
    raw = _b64decode(value)
    if raw is None:
        return False
    user, sep, password = raw.partition(b":")
    return bool(sep and user and password) and not is_placeholder(password.decode("utf-8", "replace"))


# Second-level domains reserved for documentation (RFC 2606, run by IANA): no credential for them
# works anywhere. The reserved ``.example`` top-level domain is not included: internal networks
# use it, so a password for ``db.internal.example`` may well be real.
_DOC_DOMAINS = ("example.com", "example.net", "example.org")


def url_credential_ok(host: str, password: str) -> bool:
    h = host.lower().rstrip(".")
    return not any(h == d or h.endswith("." + d) for d in _DOC_DOMAINS)
