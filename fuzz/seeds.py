#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into fuzz/corpus/<target>/seed-*.

The seeds are the starting point of the corpora; after a campaign the corpora are
minimised (`cargo fuzz cmin`), which renames entries by their hash. Run from anywhere:
`python3 fuzz/seeds.py`; it needs the recorded exchanges in fixtures/cloudpay, the golden
receipts in fixtures/printer, cargo (for seedgen/, the spreadsheet seeds) and, optionally,
LibreOffice (`soffice`) to turn the xlsx seeds into xls and ods copies.
"""

import glob
import json
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def texts(target, items):
    for i, t in enumerate(items):
        put(target, f"{i:02}", t)


# ───────────── ocr_normalize: what the amount and serial regions show ─────────────
texts("ocr_normalize", [
    "¥1,234.50", "合计: 88.00", "RMB 12.3", "88.00元", "实收:778.20", "3,882", "-5.00",
    "1.234", "12,34", "找零 5.00", "￥ 0.01", "应收 1000", "总计:12.30元", "金额 RMB9.90",
    "", "   ", "流水号: A12B34", "No.:2eyuaCFMO2", "12.34.56", "１２.３４",
])

# ───────────── money_parse: valid amounts and every rejection ─────────────
texts("money_parse", [
    "12.34", "0.01", "1000", "0", "0.00", "007.50", "12.3", "-5.10", "-0", "-0.01",
    "92233720368547758.07", "92233720368547758.08", "-92233720368547758.07",
    "-92233720368547758.08", "99999999999999999999", "9223372036854775807",
    "1.234", "1.23456", "+5", "-", "--1", "5-", "1e3", "1E3", " 5", "5 ", "1,000", ".5",
    "5.", ".", "1.2.3", "¥5", "12.34元", "０.５", "1٫5", "", "\u0000", "0000000000000000000000000000001.00",
])

# ───────────── code_classify: real codes of each wallet and near misses ─────────────
texts("code_classify", [
    "134520273825387649", "104520273825387600", "154520273825387600\r\n",
    "2812345678901234", "25123456789012345678", "301234567890123456789012",
    "9912345678901234", "991234567890123456789012", "6212345678901234567",
    "164520273825387649", "1345202738253876", "13452027382538764a", "1345202738253876490",
    "281234567890123", "2812345678901234567890123", " 134520273825387649 ", "", "  ",
    "\t134520273825387649\n", "１３４５２０２７３８２５３８７６４９", "13", "9",
])

# ───────────── Cloud Pay: the recorded exchanges ─────────────
ENDPOINTS = ["micro_pay", "query_order", "refund", "query_refund_order", "reverse",
             "close_order", "client_order_detail", "x_create_approval", "x_query_approval",
             "x_consume_approval"]
for path in sorted(glob.glob(os.path.join(ROOT, "fixtures/cloudpay/exchanges/*.json"))):
    ex = json.load(open(path, encoding="utf-8"))
    name = ex["name"]
    body = ex["response_body"]
    put("cloudpay_response", name, body)
    # The structured variant: mode byte 0 (a correct MAC) + the response_content.
    try:
        content = json.loads(body)["response_content"]
        put("cloudpay_signed", name, b"\x00" + content.encode("utf-8"))
    except (ValueError, KeyError):
        pass
    # The request, as the sandbox receives it.
    envelope = json.dumps({
        "request_content": ex["request_content"],
        "authen_info": {"a": {"authen_type": 1, "authen_code": ex["request_authen_code"]}},
    }, ensure_ascii=False, separators=(",", ":"))
    idx = ENDPOINTS.index(ex["endpoint"])
    put("cloudpay_request", name, bytes([idx]) + envelope.encode("utf-8"))
# Statuses without a MAC (3, 101) and a wrong authen_type, through the structured target.
put("cloudpay_signed", "status3-nomac", b"\x06" + b'{"status":3,"description":"busy"}')
put("cloudpay_signed", "status101-nomac", b"\x06" + b'{"status":101,"description":"bad","internal_status":7}')
put("cloudpay_signed", "lowercase-mac", b"\x05" + b'{"status":0,"description":"ok","reverse":{}}')
put("cloudpay_signed", "wrong-type", b"\x07" + b'{"status":0,"description":"ok","reverse":{}}')
put("cloudpay_signed", "approval", b"\x00" + json.dumps({
    "status": 0, "description": "ok",
    "x_create_approval": {"token": "t", "approve_url": "http://x/approve/t", "expires_at": 1},
    "x_query_approval": {"token": "t", "status": "approved", "kind": "refund",
                         "staff_id": "01", "out_trade_no": "sz01x", "amount": 5,
                         "expires_at": 1}}).encode())
put("cloudpay_signed", "refund-list", b"\x00" + json.dumps({
    "status": 0, "description": "ok",
    "query_refund_order": {"refund_order_content": [
        {"out_refund_no": "sz010002cz1156680R001", "refund_fee": 1,
         "alipay_refund_order_content_ext": {"refund_status": 2}},
        {"out_refund_no": "r2", "card_refund_order_content_ext": {"state": 9}}]}}).encode())
# The RSA-PSS signed refund (no MAC), for the signable endpoint and for another one.
pss = json.load(open(os.path.join(ROOT, "fixtures/cloudpay/pss_signature.json"), encoding="utf-8"))
for i, sig in enumerate([pss["signature_salt_max"], pss["signature_salt_digest"]]):
    env = json.dumps({"request_content": pss["request_content"],
                      "authen_info": {"s": {"sign_type": 1, "sign": sig}}},
                     ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    put("cloudpay_request", f"refund-pss-{i}", bytes([ENDPOINTS.index("refund")]) + env)
    put("cloudpay_request", f"micro-pay-pss-{i}", bytes([ENDPOINTS.index("micro_pay")]) + env)

# ───────────── escpos_decode: the golden receipts and hand-made jobs ─────────────
# Selector byte: bits 0-1 width (0 = 58 mm, 1 = 80 mm, 2 = custom), bits 2-3 code page
# (0 GB18030, 1 GBK, 2 Big5, 3 ASCII).
for path in sorted(glob.glob(os.path.join(ROOT, "fixtures/printer/*.bin"))):
    name = os.path.basename(path)[:-4]
    sel = 1 if name.endswith("-80") else 0
    put("escpos_decode", name, bytes([sel]) + open(path, "rb").read())
qr = b"sz010002cz11566803216"
qr_job = (b"\x1b@\x1ba\x01\x1d(k\x03\x001C\x06\x1d(k\x03\x001E1"
          + b"\x1d(k" + bytes([len(qr) + 3, 0]) + b"1P0" + qr + b"\x1d(k\x03\x001Q0\n")
put("escpos_decode", "qr", b"\x00" + qr_job)
put("escpos_decode", "code128", b"\x01" + b"\x1dh\x50\x1dw\x02\x1dH\x02\x1dkI\x0c{B{Cabc\x01\x02\x03\n")
put("escpos_decode", "other-barcodes", b"\x00" + b"\x1dk\x04ABC123\x00\x1dkE\x03XYZ\n")
put("escpos_decode", "raster", b"\x00" + b"\x1dv0\x00\x02\x00\x04\x00" + bytes(range(0xF0, 0xF8)) + b"\n")
put("escpos_decode", "sizes", b"\x00" + b"\x1b!\x38Big\n\x1d!\x77W\n\x1dB\x01rev\x1b-\x02ul\x1bE\x01b\x1b3\x10\x1bd\x03\x1bJ\x20\x1bp\x00\x19\xfa\x1dV\x42\x00")
put("escpos_decode", "big5", b"\x08" + b"\x1c&" + "中文收據".encode("big5") + b"\n\x1c.\xb0\xb1\n")
put("escpos_decode", "ascii-cp437", b"\x0c" + bytes(range(0x80, 0x100)) + b"\n\t\tx\n")
put("escpos_decode", "gb18030-4byte", b"\x02" + "€𠀀中".encode("gb18030") + b"\n")
put("escpos_decode", "truncated", b"\x00" + b"\x1b*\x21\x10\x00\x1d8L\xff\xff\xff\xff\x1c2")

# ───────────── config_load: example configuration records and texts ─────────────
def j(v):
    return json.dumps(v, ensure_ascii=False, indent=1)

configs = {
    "credentials": {
        "base_url": "http://127.0.0.1:8731/cpay/", "out_mch_id": "sz01SBXmch0000000001",
        "out_sub_mch_id": "sz01SBXsub0000000001", "out_shop_id": "sz01SBXshop000000001",
        "device_id": "POS-01", "staff_id": "01", "order_prefix": "sz01sbx",
        "authen_key": "0123456789abcdef0123456789abcdef",
        "control_url": "http://127.0.0.1:8731/control/", "devices": ["POS-01", "POS-02"]},
    "credentials-key": {
        "base_url": "https://pay.qcloud.com/cpay/", "out_mch_id": "m", "out_sub_mch_id": "s",
        "out_shop_id": "shop", "device_id": "824", "staff_id": "1206", "order_prefix": "sz01",
        "authen_key": "k", "store_name": "一号店",
        "sign_private_key_pem": open(os.path.join(ROOT, "fixtures/cloudpay/test_sign_private_key.pem")).read()},
    "credentials-pkcs8": {
        "base_url": "https://pay.qcloud.com/cpay/", "out_mch_id": "m", "out_sub_mch_id": "s",
        "out_shop_id": "shop", "device_id": "824", "staff_id": "bad id!", "order_prefix": "sz01",
        "authen_key": "k",
        "private_key_pem": open(os.path.join(ROOT, "fixtures/cloudpay/test_sign_private_key.pkcs8.pem")).read()},
    "basic": {"mode": "plugin", "checkout_mode": "full", "capture_amount": True,
              "capture_serial": True, "scan_opens_window": True, "preprocess": True,
              "zoom": False, "touch": True, "auto_pay_secs": 3, "result_display_secs": 3,
              "language": "zh",
              "amount_region": {"screen": 0, "x": 100, "y": -20, "width": 200, "height": 40,
                                "scale_percent": 100},
              "serial_region": None, "min_confidence_permille": 900},
    "basic-full": {"mode": "full", "checkout_mode": "total_amount", "language": "en",
                   "auto_pay_secs": 61},
    "printer": {"enabled": True, "device": "serial:COM3?baud=9600", "copies": 2,
                "copy_interval_secs": 2, "width": "58mm", "top_margin": 0, "bottom_margin": 3,
                "font_size": "normal", "closing_line": "谢谢惠顾，欢迎再次光临", "cut": "partial",
                "cash_drawer": "pin2", "code_page": "gb18030", "print_codes": True},
    "printer-tcp": {"enabled": True, "device": "tcp:[fe80::1]:9100?timeout=9&status=on",
                    "width": 42, "cut": "full", "code_page": "big5", "font_size": "double_height"},
    "printer-cols": {"device": "cups:POS58", "width": "72col", "cash_drawer": "pin5"},
    "keys": {"payment_window": {"enabled": True, "chord": "~"},
             "main_window": {"enabled": True, "chord": "Ctrl+E"},
             "amount_region": {"enabled": False, "chord": "Ctrl+Shift+P"},
             "before_window": {"enabled": True, "default": ["F12"], "wechat": ["F9", "Enter"],
                               "alipay": None, "member_card": []},
             "after_payment": {"enabled": True, "default": ["Ctrl+Enter"]},
             "chord_delay_ms": 50,
             "wedge": {"max_key_gap_ms": 50, "min_len": 16, "max_len": 64,
                       "chars": "alphanumeric", "tab_terminates": False}},
    "keys-dup": {"payment_window": {"enabled": True, "chord": "F5"},
                 "main_window": {"enabled": True, "chord": "F5"}},
    "box": {"enabled": True, "port": "/dev/ttyUSB0", "baud_rate": 9600, "data_bits": 8,
            "parity": "none", "stop_bits": 1, "flow_control": "none", "max_code_len": 128,
            "partial_timeout_ms": 500, "reconnect_min_ms": 250, "reconnect_max_ms": 5000,
            "announce": True, "amount_command": "\\x02AMOUNT:{yuan}\\r\\n{{fen}}={fen}\\x03"},
    "policy": {k: {"secs": v, "nanos": 0} for k, v in [
        ("poll_interval", 2), ("pay_timeout", 45), ("min_reverse_after", 15),
        ("reverse_backoff", 1), ("reverse_backoff_max", 5), ("reverse_budget", 12),
        ("refund_poll_interval", 2), ("refund_timeout", 30), ("duplicate_scan_window", 2)]},
    "network": {"proxy_url": "http://10.0.0.1:3128", "proxy_user": "u",
                "root_ca_pem": open(os.path.join(ROOT, "fixtures/cloudpay/test_root_ca.pem")).read(),
                "connect_timeout_ms": 5000, "request_timeout_ms": 30000},
    "code-table": {"rules": [
        {"scheme": {"kind": "wallet", "name": "wechat"}, "prefixes": ["10", "11", "12", "13", "14", "15"], "min_len": 18, "max_len": 18},
        {"scheme": {"kind": "wallet", "name": "alipay"}, "prefixes": ["25", "26", "27", "28", "29", "30"], "min_len": 16, "max_len": 24},
        {"scheme": {"kind": "wallet", "name": "member_card"}, "prefixes": ["99"], "min_len": 16, "max_len": 24},
        {"scheme": {"kind": "unsupported", "name": "UnionPay QR (云闪付)"}, "prefixes": ["62"], "min_len": 19, "max_len": 19},
        {"scheme": {"kind": "wallet", "name": "wechat"}, "prefixes": [""], "min_len": 30, "max_len": 0}]},
}
for name, value in configs.items():
    put("config_load", name, j(value))
texts("config_load", [
    # device URIs
    "file:/dev/usb/lp0", "FILE:///dev/lp0", r"file:\\.\COM3", "file:LPT1",
    "serial:COM3?baud=19200&parity=even&data=7&stop=2&flow=hardware&timeout=3&status=on",
    "serial:/dev/ttyUSB0", "serial:?baud=9600", "serial:COM3?baud",
    "tcp:192.168.1.50:9100", "tcp:[::1]:9100?timeout=3&status=on", "tcp:printer.local:9100",
    "tcp:fe80::1:9100", "tcp://host:1", "cups:POS58", "cups:my queue", "spooler:XP-58 (copy 1)",
    # chords and sequences
    "~", "`", "·", "F5", "Ctrl+E", "ctrl + shift + p", "Alt+F4", "Num0", "NumAdd", "Shift+=",
    "Ctrl++", "+", "Ctrl+", "Ctrl+Ctrl+A", "A+Ctrl", "Ctrl+,", "F12, Ctrl+Enter",
    "F12 Ctrl+Enter，Esc", "Win+Comma", "回车", "空格",
    # paper widths and amount commands
    "58mm", " 80 MM", "42", "42col", "58", "100", "AMOUNT:{yuan}\\r\\n", "{fen}\\x0", "{{}}{",
])

# ───────────── excel_import: real workbooks ─────────────
tmp = tempfile.mkdtemp(prefix="cloudpos-seeds-")
try:
    subprocess.run(["cargo", "run", "--quiet", "--manifest-path",
                    os.path.join(HERE, "seedgen/Cargo.toml"), "--", tmp], check=True)
    books = sorted(glob.glob(os.path.join(tmp, "*.xlsx")))
    if shutil.which("soffice"):
        for fmt in ["xls", "ods"]:
            subprocess.run(["soffice", "--headless", "--convert-to", fmt, "--outdir", tmp]
                           + books, check=True, capture_output=True)
    for path in sorted(glob.glob(os.path.join(tmp, "*.*"))):
        name = os.path.basename(path).replace(".", "-")
        put("excel_import", name, b"\x00" + open(path, "rb").read())
finally:
    shutil.rmtree(tmp, ignore_errors=True)
# The structured modes: 0x80 + the sheet XML, 0xC0 + the shared strings.
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
put("excel_import", "sheet-xml", b"\x80" + (
    f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><dimension ref="A1:D3"/><sheetData>'
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>K1</t></is></c><c r="B2" t="str"><v>可乐</v></c><c r="C2"><v>3.5</v></c><c r="D2"><v>10</v></c></row>'
    '<row r="3"><c r="A3"><v>123456</v></c><c r="B3" t="b"><v>1</v></c><c r="C3" t="e"><v>#DIV/0!</v></c><c r="D3" t="n"><f>1+1</f><v>2</v></c></row>'
    '</sheetData></worksheet>').encode("utf-8"))
put("excel_import", "sheet-xml-far", b"\x80" + (
    f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
    '<c r="C1" t="s"><v>2</v></c></row><row r="40"><c r="AA40"><v>1</v></c></row></sheetData></worksheet>').encode("utf-8"))
put("excel_import", "shared-strings", b"\xc0" + (
    f'<sst {NS} count="10" uniqueCount="10"><si><t>货号</t></si><si><t>名称</t></si><si><t>单价</t></si>'
    '<si><t>库存</t></si><si><t>A1</t></si><si><r><t>可</t></r><r><rPr><b/></rPr><t>乐</t></r></si>'
    '<si><t xml:space="preserve"> 3.50 </t></si><si><t>10</t></si><si><t>A2</t></si><si><t>&lt;雪碧&amp;&#x41;</t></si></sst>').encode("utf-8"))
print("seeds written to", CORPUS)
