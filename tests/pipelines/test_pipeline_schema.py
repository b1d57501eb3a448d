"""The JSON Schema of pipeline files (`pricepipe schema --pipeline`) with a
real validator: every shipped pipeline validates, and files pricepipe
refuses are refused by the schema too, so editors flag what a run would.

Needs the jsonschema and PyYAML modules (the image's python3 has both); the
test says so and skips when they cannot be imported.
"""

import glob
import json
import os
import subprocess
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRICEPIPE = os.environ.get("PRICEPIPE_BIN", os.path.join(ROOT, "build", "src", "cli", "pricepipe"))

try:
    import jsonschema
    import yaml
except ImportError as e:  # pragma: no cover - depends on the machine
    jsonschema = None
    MISSING = str(e)


@unittest.skipIf(jsonschema is None, "jsonschema or PyYAML cannot be imported: " + (MISSING if jsonschema is None else ""))
class PipelineSchema(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        out = subprocess.run([PRICEPIPE, "schema", "--pipeline"], check=True, capture_output=True).stdout
        cls.schema = json.loads(out)
        jsonschema.Draft202012Validator.check_schema(cls.schema)
        cls.validator = jsonschema.Draft202012Validator(cls.schema)

    def test_shipped_pipelines_validate(self):
        files = sorted(glob.glob(os.path.join(ROOT, "pipelines", "*.yaml")))
        self.assertGreaterEqual(len(files), 3)
        for path in files:
            with self.subTest(path=path), open(path) as f:
                errors = [e.message for e in self.validator.iter_errors(yaml.safe_load(f))]
                self.assertEqual(errors, [], path)

    def test_what_pricepipe_refuses_the_schema_refuses(self):
        good = {"sources": {"c": {"type": "catalog", "regions": ["eu-west-1"], "concurrent_regions": 2}},
                "transforms": {"f": {"type": "filter", "inputs": ["c"], "where": ["vcpus >= 4"]}},
                "sinks": {"out": {"type": "file", "inputs": "f", "path": "out.ndjson"}}}
        self.assertTrue(self.validator.is_valid(good))
        broken = [
            {"sources": {"c": {"type": "catalog", "instnace_types": "m5.*"}}, "sinks": good["sinks"]},
            {"sources": {"c": {"type": "catlog"}}, "sinks": good["sinks"]},
            {"sources": {"c": {"type": "catalog", "concurrent_regions": "many"}}, "sinks": good["sinks"]},
            {"sources": {"c": {"type": "catalog", "concurrent_regions": 0}}, "sinks": good["sinks"]},
            {"sources": {"p": {"type": "on-demand-prices", "os": ["windoze"]}}, "sinks": good["sinks"]},
            {"sources": good["sources"], "sinks": {"out": {"type": "stdout"}}},
            {"sources": good["sources"]},
            {"sources": good["sources"], "sinks": good["sinks"], "keep_gong": True},
        ]
        for doc in broken:
            with self.subTest(doc=doc):
                self.assertFalse(self.validator.is_valid(doc))

    def test_environment_variables_stand_for_any_value(self):
        doc = {"keep_going": "${KEEP_GOING}",
               "sources": {"c": {"type": "catalog", "concurrent_regions": "${LANES:-4}"}},
               "sinks": {"out": {"type": "stdout", "inputs": ["c"]}}}
        self.assertTrue(self.validator.is_valid(doc), [e.message for e in self.validator.iter_errors(doc)])


if __name__ == "__main__":
    unittest.main()
