"""The JUnit XML report: one test case per gate row and per performance row, so CI shows failures.

FAIL rows become ``<failure>``, ERROR rows ``<error>``; WARN rows pass and carry
their reasons in ``<system-out>``. Suites: one per spec.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from evalspec.gate import GateResult, GateRow, Status
from evalspec.gate.verdict import PerfRow
from evalspec.report.format import measure, number, percent, signed


def render_junit(result: GateResult, *, spec_name: str, run_id: str) -> str:
    """JUnit XML text (UTF-8, with declaration) for the gate result of one run."""
    cases: list[tuple[ET.Element, Status]] = [
        (_metric_case(row, spec_name), row.status) for row in result.rows
    ]
    cases.extend((_perf_case(row, spec_name), row.status) for row in result.perf_rows)
    counts = {
        "tests": str(len(cases)),
        "failures": str(sum(1 for _, s in cases if s is Status.FAIL)),
        "errors": str(sum(1 for _, s in cases if s is Status.ERROR)),
        "skipped": "0",
    }
    root = ET.Element("testsuites", {"name": "evalspec", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": f"evalspec.{spec_name}", **counts})
    properties = ET.SubElement(suite, "properties")
    for name, value in (("run_id", run_id), ("status", str(result.status))):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    suite.extend(case for case, _ in cases)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _metric_case(row: GateRow, spec_name: str) -> ET.Element:
    case = ET.Element("testcase", {"classname": f"{spec_name}.{row.unit_id}", "name": row.metric})
    summary = (
        f"baseline {number(row.baseline)}, candidate {number(row.current)}, "
        f"delta {signed(row.delta)}"
    )
    _outcome(case, row.status, row.reasons, f"{row.label}: {summary}")
    return case


def _perf_case(row: PerfRow, spec_name: str) -> ET.Element:
    case = ET.Element(
        "testcase", {"classname": f"{spec_name}.{row.unit_id}.perf", "name": str(row.measure)}
    )
    summary = (
        f"baseline {measure(row.baseline)}, candidate {measure(row.current)}, "
        f"change {percent(row.change_pct)} (tolerance {percent(row.tolerance_pct, False)})"
    )
    _outcome(case, row.status, row.reasons, f"{row.unit_id} {row.measure}: {summary}")
    return case


def _outcome(case: ET.Element, status: Status, reasons: list[str], summary: str) -> None:
    message = "; ".join(reasons) or str(status)
    if status is Status.FAIL:
        ET.SubElement(case, "failure", {"message": message, "type": "regression"}).text = summary
    elif status is Status.ERROR:
        ET.SubElement(case, "error", {"message": message, "type": "infrastructure"}).text = summary
    elif status is Status.WARN:
        ET.SubElement(case, "system-out").text = f"WARN: {message}\n{summary}"
