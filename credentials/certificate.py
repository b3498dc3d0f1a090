"""The certificate PDF of a personal credential: fixed HTML (every field escaped), the verify
URL and its QR code as inline SVG, the signed credential attached as ``credential.jwt``."""

from __future__ import annotations

import html

import segno
from django.conf import settings

from lib.pdf import html_to_pdf

from .models import PersonalCredential
from .selectors import CREDENTIAL_NAMES, credential_urls

_CSS = """
@page { size: A4 landscape; margin: 14mm; }
body { font-family: sans-serif; color: #101828; }
.card { border: 3px solid #1e3a8a; border-radius: 6mm; padding: 12mm 16mm; height: 160mm; position: relative; }
h1 { font-size: 26pt; margin: 0 0 4mm; color: #1e3a8a; }
.holder { font-size: 30pt; font-weight: bold; margin: 8mm 0 4mm; }
.muted { color: #475467; }
.status { font-weight: bold; text-transform: uppercase; }
.status-active { color: #067647; } .status-expired, .status-revoked, .status-suspended { color: #b42318; }
dl { display: grid; grid-template-columns: 40mm auto; row-gap: 2mm; }
dt { font-weight: bold; } dd { margin: 0; }
.qr { position: absolute; right: 16mm; bottom: 12mm; text-align: center; font-size: 8pt; }
.qr svg { width: 38mm; height: 38mm; }
.verify { font-size: 9pt; word-break: break-all; max-width: 170mm; }
"""


def render_certificate_html(*, credential: PersonalCredential, status: str) -> str:
    e = html.escape
    urls = credential_urls(credential)
    qr = segno.make(urls["record_url"], error="m").svg_inline(scale=3, dark="#101828", border=2)
    name = CREDENTIAL_NAMES.get(credential.kind, credential.kind)
    state = "Valid" if status == "active" else f"{status.capitalize()} — not valid"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{e(credential.credential_id)} · {e(credential.holder_name)}</title><style>{_CSS}</style></head>
<body><div class="card">
<p class="muted">{e(settings.ISSUER_NAME)} certifies that</p>
<p class="holder">{e(credential.holder_name)}</p>
<h1>{e(name)}</h1>
<p class="muted">passed the AIDA exam on the Production Safety Framework (PSF) v1.1.</p>
<dl>
<dt>Credential</dt><dd>{e(credential.credential_id)}</dd>
<dt>Issued</dt><dd>{e(credential.issued.isoformat())}</dd>
<dt>Valid until</dt><dd>{e(credential.expires.isoformat())}</dd>
<dt>Status</dt><dd class="status status-{e(status)}">{e(state)}</dd>
</dl>
<p class="verify">Verify: {e(urls["record_url"])}<br>API: {e(urls["verify_url"])}</p>
<div class="qr">{qr}<br>Scan to verify</div>
</div></body></html>"""


def render_certificate_pdf(*, credential: PersonalCredential, status: str) -> bytes:
    document = render_certificate_html(credential=credential, status=status)
    pdf, _refused = html_to_pdf(
        document, attachments=[("credential.jwt", credential.credential_jwt.encode("ascii"))]
    )
    return pdf
