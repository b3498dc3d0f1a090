"""An SVG badge keeps its SVG namespace whatever else the process did first: WeasyPrint writing a
PDF re-registers ElementTree's default prefix, which once turned every later badge into
<ns0:svg …>, a document a browser shows as bare text."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import os, xml.etree.ElementTree as ET
from datetime import date
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflowos.settings")
import django; django.setup()
from lib.pdf import render_pdf
from trustmarks.badges import render_badge_svg
render_pdf("<p>any PDF first</p>")          # WeasyPrint registers its metadata namespaces
ET.register_namespace("", "urn:someone-else")  # and so may any other library
print(render_badge_svg(mark_id="TM-00142", company="Acme <AI>", status="active",
      valid_until=date(2027, 1, 31), psf_version="1.1",
      verify_url="https://wfos.example.org/verify/TM-00142", credential_jwt="aaa.bbb.ccc"))
"""


def test_svg_badge_after_a_pdf_in_the_same_process_keeps_its_namespace() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    ).stdout
    svg = out[out.index("<?xml") :]
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in svg
    assert "ns0:" not in svg
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{https://purl.imsglobal.org/ob/v3p0}credential").get("verify") == "aaa.bbb.ccc"
    link = root.find("{http://www.w3.org/2000/svg}a")
    assert link.get("{http://www.w3.org/1999/xlink}href") == "https://wfos.example.org/verify/TM-00142"
    assert "Acme &lt;AI&gt;" in svg
