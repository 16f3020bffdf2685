"""Check requests to (and answers from) the fake LINE server against LINE's OpenAPI documents.

The documents are verbatim copies under ``tests/data/line-openapi/`` (origin in its README).
``LineSpec.check_request`` finds the operation for a method and path (an unknown one is a
problem), checks required query parameters, the ``X-Line-Retry-Key`` format, and validates a JSON
body against the operation's request schema with openapi-schema-validator (OpenAPI 3.0 rules:
``nullable``, formats). Binary bodies (rich menu images) must be PNG or JPEG of at most 1 MB.

LINE's schemas pick a message type by ``discriminator`` on a base schema (``Message`` with
``type: text`` means ``TextMessage``), which JSON Schema does not know: a small keyword dispatches
to the mapped schema, and the mapped schemas' ``allOf`` point at a copy of the base without its
discriminator, so the dispatch does not loop.
"""

from __future__ import annotations

import copy
import re
import uuid
from functools import cache
from pathlib import Path

import yaml
from jsonschema import ValidationError, validators
from openapi_schema_validator import OAS30Validator, oas30_format_checker

DATA = Path(__file__).resolve().parent / "data" / "line-openapi"
SPECS = ("messaging-api.yml", "insight.yml")
MAX_IMAGE = 1024 * 1024


def _discriminator(validator, disc, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    mapping = disc.get("mapping", {})
    value = instance.get(disc["propertyName"])
    if value not in mapping:
        yield ValidationError(f"{disc['propertyName']} {value!r} is not one of {sorted(mapping)}")
        return
    yield from validator.descend(instance, {"$ref": mapping[value]})


Validator = validators.extend(OAS30Validator, {"discriminator": _discriminator})


def _split_bases(components: dict) -> dict:
    """Every schema with a discriminator gets a ``<name>__base`` twin without it; ``allOf``
    references from the mapped schemas go to the twin."""
    schemas = components["schemas"]
    bases = [name for name, s in schemas.items() if "discriminator" in s]
    for name in bases:
        twin = copy.deepcopy(schemas[name])
        del twin["discriminator"]
        schemas[f"{name}__base"] = twin
    for schema in schemas.values():
        for part in schema.get("allOf", []):
            ref = part.get("$ref", "")
            if ref.rsplit("/", 1)[-1] in bases:
                part["$ref"] = ref + "__base"
    return components


class Operation:
    def __init__(self, method: str, template: str, op: dict, components: dict):
        self.method, self.template, self.op, self.components = method.upper(), template, op, components
        parts = re.split(r"\{[^}]+\}", template)
        self.params = len(parts) - 1
        self.regex = re.compile("^" + "[^/]+".join(re.escape(p) for p in parts) + "$")

    def schema_for(self, ref: dict) -> Validator:
        return Validator({**ref, "components": self.components}, format_checker=oas30_format_checker)


class LineSpec:
    def __init__(self, files=SPECS):
        self.operations: list[Operation] = []
        for name in files:
            doc = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
            components = _split_bases(doc["components"])
            for template, item in doc["paths"].items():
                shared = item.get("parameters", [])
                for method, op in item.items():
                    if method in ("get", "post", "put", "delete"):
                        op = {**op, "parameters": shared + op.get("parameters", [])}
                        self.operations.append(Operation(method, template, op, components))
        self.operations.sort(key=lambda o: o.params)  # /richmenu/list before /richmenu/{richMenuId}

    def operation(self, method: str, path: str) -> Operation | None:
        for op in self.operations:
            if op.method == method.upper() and op.regex.match(path):
                return op
        return None

    def check_request(self, method: str, path: str, query: dict, headers: dict, raw: bytes) -> list[str]:
        op = self.operation(method, path)
        where = f"{method} {path}"
        if op is None:
            return [f"{where}: no such operation in LINE's OpenAPI documents"]
        problems = []
        for param in op.op["parameters"]:
            name, place = param["name"], param["in"]
            if place == "query" and param.get("required") and name not in query:
                problems.append(f"{where}: missing query parameter {name}")
            if place == "query" and name in query and "pattern" in param.get("schema", {}):
                if not re.fullmatch(param["schema"]["pattern"], query[name]):
                    problems.append(
                        f"{where}: query {name}={query[name]!r} does not match {param['schema']['pattern']}"
                    )
            if (
                place == "header"
                and name.lower() in headers
                and param.get("schema", {}).get("format") == "uuid"
            ):
                try:
                    uuid.UUID(headers[name.lower()])
                except ValueError:
                    problems.append(f"{where}: header {name} is not a UUID")
        body = op.op.get("requestBody")
        if body is None:
            if raw:
                problems.append(f"{where}: the operation takes no body")
            return problems
        content = body["content"]
        if "application/json" in content:
            problems += self._json(where, op, content["application/json"]["schema"], raw)
        elif not raw:
            problems.append(f"{where}: empty body")
        else:
            kind = headers.get("content-type", "")
            if kind not in ("image/png", "image/jpeg") or len(raw) > MAX_IMAGE:
                problems.append(
                    f"{where}: image must be PNG or JPEG of at most 1 MB (got {kind}, {len(raw)} bytes)"
                )
        return problems

    def check_response(self, method: str, path: str, status: int, body) -> list[str]:
        op = self.operation(method, path)
        if op is None or status >= 300:
            return []
        answer = op.op.get("responses", {}).get(str(status))
        if answer is None:
            return [f"{method} {path}: LINE never answers {status}"]
        schema = ((answer.get("content") or {}).get("application/json") or {}).get("schema")
        if schema is None:
            return []
        errors = sorted(op.schema_for(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
        return [f"{method} {path} answer: {_where(e)}: {e.message}" for e in errors]

    def _json(self, where: str, op: Operation, schema: dict, raw: bytes) -> list[str]:
        import json

        try:
            body = json.loads(raw)
        except ValueError:
            return [f"{where}: body is not JSON"]
        errors = sorted(op.schema_for(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
        return [f"{where}: {_where(e)}: {e.message}" for e in errors]


def _where(error: ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(body)"


@cache
def line_spec() -> LineSpec:
    return LineSpec()
