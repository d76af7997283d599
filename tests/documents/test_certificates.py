from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fengqiao.documents.certificates import (
    audit_certificate_pdf,
    judicial_package,
    mask_ip,
    service_certificate_pdf,
)

SHA = hashlib.sha256(b"agreement").hexdigest()


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True,
                         text=True).stdout
    return "".join(out.split())


@pytest.mark.parametrize(("ip", "shown"), [
    ("203.0.113.45", "203.0.*.*"),
    ("2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3:*"),
    ("nonsense", "*"),
    (None, "无"),
])
def test_mask_ip(ip: str | None, shown: str) -> None:
    assert mask_ip(ip) == shown


def test_audit_certificate_lists_events_with_masked_ip(tmp_path: Path) -> None:
    events = [
        {"event": "signed", "time": "2025-09-01T02:05:00+00:00", "actor": "张三",
         "ip": "203.0.113.45", "user_agent": "Mozilla/5.0 MicroMessenger/8.0", "doc_sha256": SHA},
        {"event": "sent", "time": datetime(2025, 9, 1, 2, 0, tzinfo=UTC), "actor": "王调解",
         "ip": "198.51.100.7", "user_agent": "Chrome", "doc_sha256": SHA},
        {"event": "sealed", "time": "2025-09-01T03:00:00+00:00", "actor": "枫桥镇人民调解委员会"},
    ]
    text = pdf_text(audit_certificate_pdf(title="人民调解协议书", doc_code="D-9",
                                          events=events, public_url="http://h"), tmp_path)
    assert "电子签署存证报告" in text
    assert "2025-09-0110:00:00发送文书王调解" in text  # shown in Beijing time, sorted
    assert text.index("发送文书") < text.index("签名张三") < text.index("加盖电子印章")
    assert "203.0.*.*" in text and "203.0.113.45" not in text
    assert SHA in text and "MicroMessenger" in text


def test_service_certificate(tmp_path: Path) -> None:
    deliveries = [{"recipient": "李四", "address": "微信公众号 o6_bmj***", "status": "read",
                   "sent_at": "2025-09-01T03:10:00+00:00", "read_at": "2025-09-01T03:30:00+00:00",
                   "doc_sha256": SHA}]
    text = pdf_text(service_certificate_pdf(title="人民调解协议书", doc_code="D-9",
                                            deliveries=deliveries, public_url="http://h"),
                    tmp_path)
    for needed in ("电子送达证明", "李四", "已阅读", "2025-09-0111:10:00", "2025-09-0111:30:00",
                   SHA, "http://h/h5/verify?code=D-9"):
        assert needed in text


def test_judicial_package_has_files_and_manifest() -> None:
    data = judicial_package(
        agreement_pdf=b"%PDF-1.7 signed", mediation_record="2025年9月1日 调解记录……",
        parties=[{"name": "张三", "id_number": "110101199001011234"}],
        extra_files={"../audit.pdf": b"%PDF-audit"},
        created_at=datetime(2025, 9, 2, tzinfo=UTC))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        assert names == {"agreement.pdf", "parties.json", "mediation_record.txt", "audit.pdf",
                         "manifest.json", "README.txt"}
        manifest = json.loads(zf.read("manifest.json"))
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == digest
        assert json.loads(zf.read("parties.json"))[0]["name"] == "张三"
        assert "司法确认" in zf.read("README.txt").decode()
