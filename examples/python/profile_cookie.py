"""Reference signer and verifier for Tailor's profile cookie, format v1.

Specification: docs/profile-cookie.md. Python 3.11+, standard library only.

    from profile_cookie import sign, set_cookie_header
    value = sign(kid="k2026a", secret=os.environ["TAILOR_PROFILE_SECRET"],
                 profile={"i": now, "e": now + 2592000, "ind": "fintech", "c": "pa"})
    response.headers["Set-Cookie"] = set_cookie_header(value)

CLI: python3 examples/python/profile_cookie.py --help
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import time

DEFAULT_COOKIE_NAME = "__Host-tailor_profile"
VERSION = "v1"
MAX_COOKIE_BYTES = 512
CLOCK_SKEW_S = 300
MAX_LIFETIME_S = 400 * 86400

HKDF_SALT = b"tailor-v1"
HKDF_INFO = b"tailor profile-cookie"
MIN_SECRET_BYTES = 32

# Payload keys in their canonical order.
PAYLOAD_KEYS = ("i", "e", "ind", "role", "size", "stage", "plan", "d", "s", "bid", "x", "c")
LABEL_KEYS = frozenset(("ind", "role", "size", "stage", "plan"))

# re.fullmatch everywhere: "$" would also match before a trailing "\n".
KID_RE = re.compile(r"[a-z0-9]{1,16}")
SECONDS_RE = re.compile(r"0|[1-9][0-9]{0,10}")
LABEL_RE = re.compile(r"[a-z0-9-]{1,32}")
BID_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")
ARM_RE = re.compile(r"0|[1-9][0-9]?")
DIMENSION_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
MAX_SITE_DIMENSIONS = 8
MAX_SEGMENTS = 8
CONSENT_RE = re.compile(r"-|p|a|pa")
BASE64URL_RE = re.compile(r"[A-Za-z0-9_-]*")
# RFC 6265 token: what a cookie name may be. It cannot contain "\n", which
# keeps the signed string cookie_name + "\n" + ... unambiguous.
COOKIE_NAME_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

# Shape (verification step 2): the alphabet of each of the four parts.
# The version only needs to be alphanumeric here: "v2" or "V1" is unknown-version (step 3).
SHAPE_VERSION_RE = re.compile(r"[A-Za-z0-9]+")
SHAPE_PAYLOAD_RE = re.compile(r"[A-Za-z0-9_=&|~-]+")
SHAPE_TAG_RE = re.compile(r"[A-Za-z0-9_-]{43}")


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str, what: str) -> bytes:
    """Decodes base64url without padding (trailing "=" are ignored, as the edge
    does), strictly otherwise: no other characters, canonical trailing bits."""
    if isinstance(text, str):
        text = text.rstrip("=")
    if not isinstance(text, str) or not BASE64URL_RE.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError(f"{what}: not base64url without padding")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64url_encode(data) != text:
        raise ValueError(f"{what}: not canonical base64url without padding")
    return data


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """HKDF (RFC 5869) with SHA-256: extract, then expand."""
    if length > 255 * 32:
        raise ValueError("hkdf: length too large")
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
    return okm[:length]


def derive_key(secret_b64url: str) -> bytes:
    """The 32-byte profile-cookie key derived from a secret (base64url, no padding)."""
    ikm = _b64url_decode(secret_b64url, "secret")
    if len(ikm) < MIN_SECRET_BYTES:
        raise ValueError(f"secret: {len(ikm)} bytes, at least {MIN_SECRET_BYTES} required")
    return hkdf_sha256(ikm, HKDF_SALT, HKDF_INFO, 32)


def _check_cookie_name(cookie_name: str) -> None:
    if not isinstance(cookie_name, str) or not COOKIE_NAME_RE.fullmatch(cookie_name):
        raise ValueError(f"cookie_name: {cookie_name!r} is not a cookie name token")


def _check_kid(kid: str) -> None:
    if not isinstance(kid, str) or not KID_RE.fullmatch(kid):
        raise ValueError(f"kid: {kid!r} does not match [a-z0-9]{{1,16}}")


def _compute_tag(key: bytes, cookie_name: str, kid: str, payload: str) -> str:
    """base64url(HMAC-SHA256(key, cookie_name + "\\n" + "v1." + kid + "." + payload)), no padding."""
    message = f"{cookie_name}\n{VERSION}.{kid}.{payload}".encode("utf-8")
    return _b64url_encode(hmac.new(key, message, hashlib.sha256).digest())


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _encode_seconds(field: str, value) -> str:
    if not _is_int(value) or not SECONDS_RE.fullmatch(str(value)):
        raise ValueError(f"{field}: {value!r} is not unix seconds (an integer 0..99999999999)")
    return str(value)


def _encode_experiments(x) -> str:
    if not isinstance(x, (list, tuple)) or not 1 <= len(x) <= 4:
        raise ValueError("x: must be a list of 1-4 [label, arm] pairs (omit x for none)")
    seen = set()
    items = []
    for n, pair in enumerate(x):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"x[{n}]: must be a [label, arm] pair")
        label, arm = pair
        if not isinstance(label, str) or not LABEL_RE.fullmatch(label):
            raise ValueError(f"x[{n}]: label {label!r} does not match [a-z0-9-]{{1,32}}")
        if label in seen:
            raise ValueError(f"x[{n}]: label {label!r} is repeated")
        seen.add(label)
        if not _is_int(arm) or not ARM_RE.fullmatch(str(arm)):
            raise ValueError(f"x[{n}]: arm {arm!r} is not an integer 0-99")
        items.append(f"{label}~{arm}")
    return "|".join(items)


def _encode_dimensions(d) -> str:
    """The site's own dimensions (`d`): a dict {name: label or int} or [name, label] pairs, in ascending name order."""
    pairs = list(d.items()) if isinstance(d, dict) else d
    if not isinstance(pairs, (list, tuple)) or not 1 <= len(pairs) <= MAX_SITE_DIMENSIONS:
        raise ValueError(f"d: must be 1-{MAX_SITE_DIMENSIONS} site dimensions, {{name: label}} (omit d for none)")
    seen = set()
    texts = []
    for n, pair in enumerate(pairs):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"d[{n}]: must be a [name, label] pair")
        name, raw = pair
        if not isinstance(name, str) or not DIMENSION_NAME_RE.fullmatch(name):
            raise ValueError(f"d: name {name!r} does not match [a-z][a-z0-9_]{{0,31}}")
        if name in seen:
            raise ValueError(f"d: name {name!r} is repeated")
        seen.add(name)
        label = str(raw) if _is_int(raw) else raw
        if not isinstance(label, str) or not LABEL_RE.fullmatch(label):
            raise ValueError(f"d.{name}: {raw!r} is not a label [a-z0-9-]{{1,32}} or an integer")
        texts.append((name, label))
    return "|".join(f"{name}~{label}" for name, label in sorted(texts))


def _encode_segments(segments) -> str:
    """Segment memberships (`s`): labels, in ascending order."""
    if not isinstance(segments, (list, tuple)) or not 1 <= len(segments) <= MAX_SEGMENTS:
        raise ValueError(f"s: must be a list of 1-{MAX_SEGMENTS} segment labels (omit s for none)")
    seen = set()
    for label in segments:
        if not isinstance(label, str) or not LABEL_RE.fullmatch(label):
            raise ValueError(f"s: {label!r} is not a label [a-z0-9-]{{1,32}}")
        if label in seen:
            raise ValueError(f"s: {label!r} is repeated")
        seen.add(label)
    return "|".join(sorted(segments))


def encode_payload(profile: dict) -> str:
    """The canonical payload for a profile dict; raises ValueError naming the first invalid field."""
    if not isinstance(profile, dict):
        raise ValueError("profile: must be a dict")
    for key in profile:
        if key not in PAYLOAD_KEYS:
            raise ValueError(f"profile.{key}: unknown field (allowed: {', '.join(PAYLOAD_KEYS)})")
    pairs = []
    for key in PAYLOAD_KEYS:
        value = profile.get(key)
        if value is None:
            if key in ("i", "e", "c"):
                raise ValueError(f"{key}: required")
            continue
        if key in ("i", "e"):
            text = _encode_seconds(key, value)
        elif key in LABEL_KEYS:
            if not isinstance(value, str) or not LABEL_RE.fullmatch(value):
                raise ValueError(f"{key}: {value!r} is not a label [a-z0-9-]{{1,32}}")
            text = value
        elif key == "bid":
            if not isinstance(value, str) or not BID_RE.fullmatch(value):
                raise ValueError(f"bid: {value!r} does not match [A-Za-z0-9_-]{{8,64}}")
            text = value
        elif key == "x":
            text = _encode_experiments(value)
        elif key == "d":
            text = _encode_dimensions(value)
        elif key == "s":
            text = _encode_segments(value)
        else:
            if not isinstance(value, str) or not CONSENT_RE.fullmatch(value):
                raise ValueError(f'c: {value!r} is not one of "-", "p", "a", "pa"')
            text = value
        pairs.append(f"{key}={text}")
    i, e = profile["i"], profile["e"]
    if e <= i:
        raise ValueError(f"e: {e} is not after i ({i})")
    if e - i > MAX_LIFETIME_S:
        raise ValueError(f"e: lifetime e - i = {e - i} s is over 400 days ({MAX_LIFETIME_S} s)")
    return "&".join(pairs)


def parse_payload(payload: str) -> dict | None:
    """Parses a payload by the grammar (canonical order, each key at most once,
    i/e/c required). Returns the profile dict, or None if invalid."""
    profile: dict = {}
    last = -1
    for pair in payload.split("&"):
        key, eq, value = pair.partition("=")
        if not eq or key not in PAYLOAD_KEYS:
            return None
        index = PAYLOAD_KEYS.index(key)
        if index <= last:  # repeated or out of order
            return None
        last = index
        if key in ("i", "e"):
            if not SECONDS_RE.fullmatch(value):
                return None
            profile[key] = int(value)
        elif key in LABEL_KEYS:
            if not LABEL_RE.fullmatch(value):
                return None
            profile[key] = value
        elif key == "bid":
            if not BID_RE.fullmatch(value):
                return None
            profile[key] = value
        elif key == "d":
            items = value.split("|")
            if len(items) > MAX_SITE_DIMENSIONS:
                return None
            d = []
            for item in items:
                name, tilde, label = item.partition("~")
                if not tilde or not DIMENSION_NAME_RE.fullmatch(name) or not LABEL_RE.fullmatch(label):
                    return None
                if d and d[-1][0] >= name:  # ascending, each once
                    return None
                d.append([name, label])
            profile["d"] = d
        elif key == "s":
            items = value.split("|")
            if len(items) > MAX_SEGMENTS:
                return None
            for n, label in enumerate(items):
                if not LABEL_RE.fullmatch(label) or (n > 0 and items[n - 1] >= label):
                    return None
            profile["s"] = items
        elif key == "x":
            items = value.split("|")
            if len(items) > 4:
                return None
            seen = set()
            x = []
            for item in items:
                label, tilde, arm = item.partition("~")
                if not tilde or not LABEL_RE.fullmatch(label) or not ARM_RE.fullmatch(arm) or label in seen:
                    return None
                seen.add(label)
                x.append([label, int(arm)])
            profile["x"] = x
        else:
            if not CONSENT_RE.fullmatch(value):
                return None
            profile["c"] = value
    if not all(k in profile for k in ("i", "e", "c")):
        return None
    return profile


def sign(*, kid: str, secret: str, profile: dict, cookie_name: str = DEFAULT_COOKIE_NAME) -> str:
    """Signs a profile; returns the cookie value "v1.<kid>.<payload>.<tag>"."""
    _check_cookie_name(cookie_name)
    _check_kid(kid)
    key = derive_key(secret)
    payload = encode_payload(profile)
    value = f"{VERSION}.{kid}.{payload}.{_compute_tag(key, cookie_name, kid, payload)}"
    size = len(value.encode("utf-8"))
    if size > MAX_COOKIE_BYTES:
        raise ValueError(f"cookie: {size} bytes, over the {MAX_COOKIE_BYTES}-byte cap")
    return value


def _refuse(reason: str) -> dict:
    return {"ok": False, "reason": reason}


def verify(cookie: str, *, keys: list, now: int | None = None, cookie_name: str = DEFAULT_COOKIE_NAME) -> dict:
    """Verifies a cookie value, in the specification's order.

    keys: [{"kid": ..., "secret": ...}], every key the verifier accepts. now: unix seconds.
    Returns {"ok": True, "kid": kid, "profile": {...}} or {"ok": False, "reason": reason}.
    Raises only for a bad configuration (cookie_name, keys, now), never for a bad cookie.
    """
    _check_cookie_name(cookie_name)
    if not isinstance(keys, (list, tuple)):
        raise ValueError("keys: must be a list of {'kid': ..., 'secret': ...}")
    if now is None:
        now = int(time.time())
    if not _is_int(now):
        raise ValueError("now: must be integer unix seconds")

    # 1. Size cap, before anything else.
    if not isinstance(cookie, str):
        return _refuse("malformed")
    if len(cookie.encode("utf-8", "surrogatepass")) > MAX_COOKIE_BYTES:
        return _refuse("oversized")

    # 2. Shape: four "."-separated parts, each from its alphabet.
    parts = cookie.split(".")
    if len(parts) != 4:
        return _refuse("malformed")
    version, kid, payload, tag = parts
    if not (
        SHAPE_VERSION_RE.fullmatch(version)
        and KID_RE.fullmatch(kid)
        and SHAPE_PAYLOAD_RE.fullmatch(payload)
        and SHAPE_TAG_RE.fullmatch(tag)
    ):
        return _refuse("malformed")

    # 3. Version.
    if version != VERSION:
        return _refuse("unknown-version")

    # 4. Key id.
    entry = next((k for k in keys if isinstance(k, dict) and k.get("kid") == kid), None)
    if entry is None:
        return _refuse("unknown-key")

    # 5. Tag, compared in constant time. The base64url text is compared (both
    # are 43 ASCII characters), so a non-canonical spelling of the right tag
    # (other low bits in the last character) is refused too.
    expected = _compute_tag(derive_key(entry["secret"]), cookie_name, kid, payload)
    if not hmac.compare_digest(expected.encode("ascii"), tag.encode("ascii")):
        return _refuse("bad-signature")

    # 6. Only then parse the payload.
    profile = parse_payload(payload)
    if profile is None:
        return _refuse("bad-payload")

    # 7. Time, with clock skew allowance.
    if profile["i"] > now + CLOCK_SKEW_S:
        return _refuse("not-yet-valid")
    if profile["e"] < now - CLOCK_SKEW_S:
        return _refuse("expired")
    if profile["e"] <= profile["i"] or profile["e"] - profile["i"] > MAX_LIFETIME_S:
        return _refuse("bad-lifetime")
    return {"ok": True, "kid": kid, "profile": profile}


def set_cookie_header(value: str, *, cookie_name: str = DEFAULT_COOKIE_NAME, max_age: int | None = None) -> str:
    """The Set-Cookie header value for a signed cookie value. max_age defaults
    to the cookie's lifetime e - i and may not exceed it."""
    _check_cookie_name(cookie_name)
    parts = value.split(".") if isinstance(value, str) else []
    profile = (
        parse_payload(parts[2]) if len(parts) == 4 and SHAPE_PAYLOAD_RE.fullmatch(parts[2]) else None
    )
    if profile is None:
        raise ValueError("value: not a signed profile cookie value")
    lifetime = profile["e"] - profile["i"]
    if max_age is None:
        max_age = lifetime
    if not _is_int(max_age) or max_age < 0:
        raise ValueError(f"max_age: {max_age!r} is not a non-negative integer")
    if max_age > lifetime:
        raise ValueError(f"max_age: {max_age} is longer than the cookie's lifetime e - i = {lifetime}")
    return f"{cookie_name}={value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age}"


EDGE_ID_COOKIE = "__Host-tailor_id"
_EDGE_ID_RE = re.compile(r"v1\.([A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}")


def edge_id_from_cookie_header(cookie_header: str | None) -> str | None:
    """The edge's pseudonymous id from a request's Cookie header, to carry
    over as the profile's ``bid`` (docs/profile-cookie.md, "The edge's id"),
    or None. The tag is the edge's and cannot be checked here; a cookie sent
    twice is no id."""
    if not isinstance(cookie_header, str):
        return None
    values = [
        pair.strip()[len(EDGE_ID_COOKIE) + 1 :]
        for pair in cookie_header.split(";")
        if pair.strip().startswith(EDGE_ID_COOKIE + "=")
    ]
    if len(values) != 1:
        return None
    match = _EDGE_ID_RE.fullmatch(values[0])
    return match.group(1) if match else None


def generate_secret() -> str:
    """A new random secret: 32 bytes, base64url without padding."""
    return _b64url_encode(secrets.token_bytes(32))


# ---------------------------------------------------------------------------
# CLI

FRIENDLY = {
    "industry": "ind",
    "role": "role",
    "company_size": "size",
    "lifecycle": "stage",
    "plan": "plan",
    "bucketing_id": "bid",
    "consent": "c",
}

USAGE = """usage:
  profile_cookie.py sign --kid KID [--secret B64URL] [--set NAME=VALUE]... [--ttl SECONDS]
                         [--now UNIX] [--cookie-name NAME] [--header]
      NAME: industry, role, company_size, lifecycle, plan, bucketing_id, consent
            (or ind, size, stage, bid, c), or experiments.LABEL=ARM (repeatable, 1-4).
      consent defaults to "pa"; --ttl defaults to 2592000 (30 days);
      the secret comes from --secret or the TAILOR_PROFILE_SECRET environment variable.
      Prints the cookie value (with --header: the Set-Cookie header value).
  profile_cookie.py verify --key KID:SECRET [--key ...] [--now UNIX] [--cookie-name NAME] COOKIE
      Prints the result as JSON; exit status 1 if refused.
  profile_cookie.py keygen
      Prints a new random secret (32 bytes, base64url)."""


def _parse_integer(flag: str, text) -> int:
    if text is None or not re.fullmatch(r"0|[1-9][0-9]*", text):
        raise ValueError(f"{flag}: {text!r} is not an integer")
    return int(text)


def _cli(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else (None, [])
    opts: dict = {"set": [], "key": [], "positional": []}
    takes = ("--kid", "--secret", "--set", "--ttl", "--now", "--cookie-name", "--key")
    n = 0
    while n < len(rest):
        arg = rest[n]
        if arg in takes:
            if n + 1 >= len(rest):
                raise ValueError(f"{arg}: missing value")
            n += 1
            name = arg[2:]
            if name in ("set", "key"):
                opts[name].append(rest[n])
            else:
                opts[name] = rest[n]
        elif arg == "--header":
            opts["header"] = True
        elif arg.startswith("--"):
            raise ValueError(f"unknown option {arg}")
        else:
            opts["positional"].append(arg)
        n += 1
    cookie_name = opts.get("cookie-name", DEFAULT_COOKIE_NAME)
    now = int(time.time()) if "now" not in opts else _parse_integer("--now", opts["now"])

    if command == "sign":
        ttl = 2592000 if "ttl" not in opts else _parse_integer("--ttl", opts["ttl"])
        profile: dict = {"i": now, "e": now + ttl, "c": "pa"}
        x = []
        for assignment in opts["set"]:
            name, eq, value = assignment.partition("=")
            if not eq or not name:
                raise ValueError(f"--set {assignment}: expected NAME=VALUE")
            if name.startswith("experiments."):
                x.append([name[len("experiments."):], _parse_integer(f"--set {name}", value)])
            elif name in FRIENDLY or name in FRIENDLY.values():
                profile[FRIENDLY.get(name, name)] = value
            else:
                raise ValueError(f"--set {name}: unknown attribute")
        if x:
            profile["x"] = x
        secret = opts.get("secret") or os.environ.get("TAILOR_PROFILE_SECRET")
        if not secret:
            raise ValueError("--secret (or TAILOR_PROFILE_SECRET) is required")
        value = sign(kid=opts.get("kid"), secret=secret, profile=profile, cookie_name=cookie_name)
        print(set_cookie_header(value, cookie_name=cookie_name, max_age=ttl) if opts.get("header") else value)
        return 0
    if command == "verify":
        if len(opts["positional"]) != 1:
            raise ValueError("verify: exactly one cookie value expected")
        keys = []
        for pair in opts["key"]:
            kid, colon, secret = pair.partition(":")
            if not colon or not kid:
                raise ValueError(f"--key {pair}: expected KID:SECRET")
            keys.append({"kid": kid, "secret": secret})
        result = verify(opts["positional"][0], keys=keys, now=now, cookie_name=cookie_name)
        print(json.dumps(result, separators=(",", ":")))
        return 0 if result["ok"] else 1
    if command == "keygen":
        print(generate_secret())
        return 0
    print(USAGE, file=sys.stderr)
    return 0 if command in ("--help", "-h", "help") else 2


if __name__ == "__main__":
    try:
        sys.exit(_cli(sys.argv[1:]))
    except ValueError as error:
        print(f"profile_cookie: {error}", file=sys.stderr)
        sys.exit(2)
