"""The `json_extraction` format: evalspec's own structured-extraction items.

One JSON object per line:

    {"id": "inv-1",                                  optional: else derived from the prompt
     "text": "Invoice 42 from ACME, total 19.99 EUR", the document to extract from
     "target": {"number": 42, "vendor": "ACME"},      the expected JSON object
     "schema": {"type": "object", ...},               optional JSON Schema of the output
     "instruction": "Extract ...",                    optional: replaces the default
     "tags": {"domain": "finance"},                   optional slice keys
     "cluster": "doc-7"}                              optional: rows sharing a document

prompt = instruction + "\\n\\nText:\\n" + text, the default instruction being "Extract the
following fields from the text as a JSON object: <target's field names, comma separated>."
target = json.dumps(target, sort_keys=True); meta["target"] = the object, meta["schema"]
when given (checked here: a usable JSON Schema whose `$ref`s stay inside it).
"""

from __future__ import annotations

import json

from evalspec.data.choices import (
    extra_meta,
    object_field,
    object_value,
    optional_cluster,
    optional_tags,
)
from evalspec.data.ids import row_id
from evalspec.data.rows import Row
from evalspec.data.types import Sample
from evalspec.spec.json_schemas import check_schema

USED = ("id", "text", "target", "schema", "instruction", "tags", "cluster")


def default_instruction(fields: list[str]) -> str:
    """The instruction naming the target's fields."""
    return f"Extract the following fields from the text as a JSON object: {', '.join(fields)}."


def parse_json_extraction_row(row: Row) -> tuple[Sample, bool]:
    """(sample, id_derived): instruction + text prompt, the target object as sorted JSON."""
    _, text = row.text("text")
    target = object_field(row, "target")
    if not target:
        raise row.error("field 'target' is an empty object; give the fields to extract")
    instruction = row.optional_text("instruction") or default_instruction(list(target))
    prompt = f"{instruction}\n\nText:\n{text}"
    sample_id, derived = row_id(row, prompt)
    meta = extra_meta(row, USED)
    meta["target"] = target
    if row.fields.get("schema") is not None:
        meta["schema"] = object_value(row, "schema", row.fields["schema"])
        try:
            check_schema(meta["schema"])
        except ValueError as exc:
            raise row.error(f"field 'schema': {exc}; fix the schema") from None
    sample = Sample(
        id=sample_id,
        prompt=prompt,
        target=json.dumps(target, sort_keys=True),
        meta=meta,
        tags=optional_tags(row),
        cluster=optional_cluster(row),
    )
    return sample, derived
