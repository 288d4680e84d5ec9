#!/usr/bin/env python3
"""report.html in headless Chromium (tests/report_tests.cmake, ctest -L report).

Writes a results folder with heatop, then checks its report.html:
  * self-contained: no http(s) resources, pictures are data: URIs;
  * `heatop report DIR` regenerates the same page byte for byte;
  * loaded in Chromium: no console messages at all (errors, warnings, logs);
  * every number the page ties to summary.json (data-key, a JSON pointer) shows that number,
    to the digits shown;
  * the temperature readout: a mouse move over the top-surface map at the node of the largest
    top-surface temperature (from T.npy) shows that node and its temperature;
  * a screenshot is not blank (many colours, the heat-map colours among them).

usage: report_browser.py HEATOP CHROMIUM EXAMPLES WORKDIR [KIND]
  KIND: solve (default), optimize or import (HotSpot example 2 from tests/data)
"""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

HEATOP, CHROMIUM, EXAMPLES, WORK = [os.path.abspath(a) if a else a for a in sys.argv[1:5]]
KIND = sys.argv[5] if len(sys.argv) > 5 else "solve"


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


if not CHROMIUM or CHROMIUM.endswith("NOTFOUND") or not os.path.exists(CHROMIUM):
    fail("chromium not found (Debian package 'chromium'; scripts/setup.sh installs it)")

os.makedirs(WORK, exist_ok=True)
out = os.path.join(WORK, KIND)
shutil.rmtree(out, ignore_errors=True)
if KIND == "solve":
    cmd = [HEATOP, "solve", os.path.join(EXAMPLES, "c1_surface.yaml"), "--set", "grid.nx=41",
           "--set", "grid.ny=33", "--set", "grid.nz=11", "--set", "top.power_map=maps/map_c6.txt",
           "--threads", "1", "-o", out]
elif KIND == "import":
    hs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "interop", "hotspot",
                      "example2")
    cmd = [HEATOP, "import", "hotspot", "-c", os.path.join(hs, "example.config"),
           "-f", os.path.join(hs, "ev6.flp"), "-p", os.path.join(hs, "gcc.ptrace"),
           "--materials", os.path.join(hs, "example.materials"), "-o", out]
else:
    cmd = [HEATOP, "optimize", os.path.join(EXAMPLES, "c3_placement.yaml"), "--fd-only",
           "--set", "optimizer.evaluations=16", "--set", "optimizer.population=8",
           "--set", "optimizer.eval_grid=[21,21,9]", "--set", "verify_grid=[31,31,11]",
           "-o", out]
subprocess.run(cmd, check=True, cwd=WORK)
page_path = os.path.join(out, "report.html")
with open(page_path, encoding="utf-8") as f:
    page = f.read()
with open(os.path.join(out, "summary.json")) as f:
    summary = json.load(f)

# Self-contained.
if re.search(r"""(src|href)\s*=\s*["']?(https?:|//)|url\(\s*["']?(https?:|//)|@import""", page):
    fail("report.html refers to the network")
imgs = re.findall(r'<img [^>]*src="([^"]{0,40})', page)
if not imgs or any(not s.startswith("data:image/png;base64,") for s in imgs):
    fail("pictures are not inlined as data: URIs: %r" % imgs[:3])

# Regenerated from the folder's files: the same page.
subprocess.run([HEATOP, "report", out], check=True, capture_output=True)
with open(page_path, encoding="utf-8") as f:
    if f.read() != page:
        fail("`heatop report` wrote a different page than the run did")


def chromium(args, url):
    r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--no-first-run", "--user-data-dir=" + os.path.join(WORK, "profile"),
                        "--enable-logging=stderr", "--v=0"] + args + [url],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("chromium exited with %d:\n%s" % (r.returncode, r.stderr[-3000:]))
    return r


# 1. The page as written: no console messages.
r = chromium(["--dump-dom", "--virtual-time-budget=3000"], "file://" + os.path.abspath(page_path))
console = [l for l in r.stderr.splitlines() if ":CONSOLE" in l]
if console:
    fail("console messages:\n" + "\n".join(console))


# 2. The numbers shown equal summary.json's.
class Keys(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.items, self._open = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-key" in a:
            self._open = [a["data-key"], ""]

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag):
        if self._open is not None:
            self.items.append(tuple(self._open))
            self._open = None


def pointer(doc, ptr):
    for part in ptr.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def half_ulp(text):
    """Half a unit in the last digit shown."""
    m = re.fullmatch(r"[-+]?\d*(?:\.(\d+))?(?:[eE]([-+]?\d+))?", text)
    if not m:
        return None
    dec = len(m.group(1) or "")
    exp = int(m.group(2) or 0)
    return 0.5 * 10.0 ** (exp - dec)


parser = Keys()
parser.feed(r.stdout)
if len(parser.items) < 20:
    fail("only %d values tied to summary.json in the page" % len(parser.items))
checked = 0
for ptr, text in parser.items:
    text = text.strip()
    want = pointer(summary, ptr)
    if isinstance(want, bool):
        ok = text == ("yes" if want else "no")
    elif isinstance(want, (int, float)):
        tol = half_ulp(text)
        ok = tol is not None and abs(float(text) - want) <= tol * (1 + 1e-9) + 1e-300
    else:
        ok = text == str(want)
    if not ok:
        fail("%s shows %r, summary.json has %r" % (ptr, text, want))
    checked += 1
for key in {"solve": ["/T_max_K", "/hotspot_mm/0", "/power_in_W", "/solver/iterations",
                      "/layers/0/T_max_K"],
            "optimize": ["/start_peak_K_fv", "/final_peak_K_fv", "/evaluations/total"],
            "import": ["/tool", "/imported/power_W", "/imported/layers/3/c_J_per_m3K",
                       "/imported/faces/top/h_W_per_m2K", "/warnings/0", "/notes/0"]}[KIND]:
    if key not in [k for k, _ in parser.items]:
        fail("the page does not show " + key)
print("%d values in the page equal summary.json" % checked)

# 3. The readout under the mouse (a page with T.npy): move to the hottest top-surface node.
if os.path.exists(os.path.join(out, "T.npy")):
    T = np.load(os.path.join(out, "T.npy"))
    top = T[:, :, -1]
    i, j = np.unravel_index(np.nanargmax(top), top.shape)
    probe = """<script>
(function(){var cv=document.getElementById('top-canvas'),r=cv.getBoundingClientRect();
var d=JSON.parse(document.getElementById('top-data').textContent);
var a=d.i.indexOf(%d),b=d.j.indexOf(%d);
cv.dispatchEvent(new MouseEvent('mousemove',{clientX:r.left+(a+0.5)*r.width/d.nx,
  clientY:r.top+(d.ny-b-0.5)*r.height/d.ny,bubbles:true}));
var px=cv.getContext('2d').getImageData(0,0,cv.width,cv.height).data,c={};
for(var q=0;q<px.length;q+=4)c[px[q]+','+px[q+1]+','+px[q+2]]=1;
var o=document.createElement('pre');o.id='probe-result';var ro=document.getElementById('readout');
o.textContent=JSON.stringify({i:ro.getAttribute('data-i'),j:ro.getAttribute('data-j'),
  v:ro.getAttribute('data-value'),text:ro.textContent,colours:Object.keys(c).length});
document.body.appendChild(o);})();
</script>""" % (i, j)
    probed = os.path.join(out, "report_probe.html")
    with open(probed, "w", encoding="utf-8") as f:
        f.write(page.replace("</body>", probe + "</body>"))
    r = chromium(["--dump-dom", "--virtual-time-budget=3000"], "file://" + probed)
    os.remove(probed)
    console = [l for l in r.stderr.splitlines() if ":CONSOLE" in l]
    if console:
        fail("console messages with the probe:\n" + "\n".join(console))
    m = re.search(r'<pre id="probe-result">(.*?)</pre>', r.stdout, re.S)
    if not m:
        fail("the readout probe did not run")
    res = json.loads(html.unescape(m.group(1)))
    if (int(res["i"]), int(res["j"])) != (i, j):
        fail("readout names node (%s, %s), expected (%d, %d)" % (res["i"], res["j"], i, j))
    if abs(float(res["v"]) - top[i, j]) > 1e-6:
        fail("readout value %s, T.npy has %.9f" % (res["v"], top[i, j]))
    if ("%.3f K" % top[i, j]) not in res["text"]:
        fail("readout text %r does not show %.3f K" % (res["text"], top[i, j]))
    if res["colours"] < 20:
        fail("the top-surface map has only %d colours" % res["colours"])
    print("readout at node (%d, %d): %s" % (i, j, res["text"]))

# 4. A screenshot that is not blank.
from PIL import Image  # noqa: E402

shot = os.path.join(WORK, KIND + "_report.png")
if os.path.exists(shot):
    os.remove(shot)
chromium(["--screenshot=" + shot, "--window-size=1100,1400", "--hide-scrollbars",
          "--virtual-time-budget=3000"], "file://" + os.path.abspath(page_path))
img = np.asarray(Image.open(shot).convert("RGB")).reshape(-1, 3)
colours = len(np.unique(img, axis=0))
non_white = float(np.mean(np.any(img < 235, axis=1)))
print("screenshot %s: %d colours, %.1f%% non-white pixels" % (shot, colours, 100 * non_white))
if colours < 50 or non_white < 0.02:
    fail("the screenshot looks blank")
print("PASS")
