"""OpenFeature's Python SDK with its OFREP provider against Tailor's OFREP
endpoints: the Python side of tests/e2e/ofrep.test.mjs.

Reads one JSON document on stdin:

    {"base_url": "http://127.0.0.1:8787",
     "clients": {"NAME": {"headers": {"X-API-Key": "..."}}, ...},
     "evaluations": [{"client": "NAME", "flag": "hero", "default": "none",
                      "context": {"targetingKey": "...", "industry": "fintech"}}, ...]}

and writes the details of each evaluation, in order, as a JSON array on
stdout. Each client is its own OFREPProvider, bound to its own domain in the
SDK, with its own headers: an API key for the server flow, or the visitor's
profile cookie for an app that holds it. `targetingKey` in a context becomes
the SDK's targeting key; the rest are attributes.

Run it with the venv that scripts/setup.sh makes: .venv/bin/python.
"""

import json
import sys

from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext


def main() -> None:
    request = json.load(sys.stdin)
    for name, options in request["clients"].items():
        headers = dict(options.get("headers", {}))
        provider = OFREPProvider(
            request["base_url"],
            headers_factory=lambda headers=headers: dict(headers),
            timeout=10.0,
        )
        api.set_provider_and_wait(provider, name)
    results = []
    for evaluation in request["evaluations"]:
        attributes = dict(evaluation.get("context", {}))
        targeting_key = attributes.pop("targetingKey", None)
        details = api.get_client(evaluation["client"]).get_string_details(
            evaluation["flag"],
            evaluation["default"],
            EvaluationContext(targeting_key, attributes),
        )
        results.append(
            {
                "flag": details.flag_key,
                "value": details.value,
                "variant": details.variant,
                "reason": None if details.reason is None else str(details.reason),
                "errorCode": None if details.error_code is None else str(details.error_code),
                "errorMessage": details.error_message,
                "flagMetadata": dict(details.flag_metadata),
            }
        )
    api.shutdown()
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
