#include "report/report.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "io/npy.hpp"
#include "io/output_dir.hpp"

namespace heatop::report {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The largest top-surface array embedded in the page, per side: larger grids are sampled every
// k-th node (the readout then names the sampled node).
constexpr std::size_t kMaxSide = 400;

std::string esc(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&#39;";
        break;
      default:
        o += c;
    }
  return o;
}

std::string base64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string o;
  o.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v =
        (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    o += k[v >> 18 & 63];
    o += k[v >> 12 & 63];
    o += k[v >> 6 & 63];
    o += k[v & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = (unsigned char)in[i] << 16;
    o += k[v >> 18 & 63];
    o += k[v >> 12 & 63];
    o += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    o += k[v >> 18 & 63];
    o += k[v >> 12 & 63];
    o += k[v >> 6 & 63];
    o += '=';
  }
  return o;
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw std::runtime_error("report: cannot read '" + p.string() + "'");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw std::runtime_error("report: cannot read '" + p.string() + "'");
  return ss.str();
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

const json* at(const json& s, const std::string& ptr) {
  const json::json_pointer p(ptr);
  return s.contains(p) ? &s.at(p) : nullptr;
}

double num(const json& s, const std::string& ptr, double fallback = NAN) {
  const json* v = at(s, ptr);
  return v && v->is_number() ? v->get<double>() : fallback;
}

std::string str(const json& s, const std::string& ptr) {
  const json* v = at(s, ptr);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

// A value of summary.json shown in the page, tied to its entry by a JSON pointer (the browser
// test compares every such element with summary.json).
std::string val(const json& s, const std::string& ptr, const char* f = "%.6g") {
  const json* v = at(s, ptr);
  if (!v || v->is_null()) return "&ndash;";
  std::string text;
  if (v->is_boolean())
    text = v->get<bool>() ? "yes" : "no";
  else if (v->is_number_integer() || v->is_number_unsigned())
    text = v->dump();
  else if (v->is_number())
    text = fmt(f, v->get<double>());
  else if (v->is_string())
    text = v->get<std::string>();
  else
    return esc(v->dump());
  return "<span class=\"v\" data-key=\"" + esc(ptr) + "\">" + esc(text) + "</span>";
}

// A point (x, y, z) in mm from a 3-number array.
std::string point(const json& s, const std::string& ptr) {
  const json* v = at(s, ptr);
  if (!v || !v->is_array() || v->size() != 3) return "&ndash;";
  return "(" + val(s, ptr + "/0", "%.3f") + ", " + val(s, ptr + "/1", "%.3f") + ", " +
         val(s, ptr + "/2", "%.3f") + ") mm";
}

// Every scalar of an object block as a two-column table (nested objects as a.b, numbers arrays
// of up to 3 entries inline); long arrays (histories, traces) are left to the plots.
void flatten(const json& s, const std::string& ptr, const std::string& label, std::string& rows) {
  const json* v = at(s, ptr);
  if (!v) return;
  if (v->is_object()) {
    for (auto it = v->begin(); it != v->end(); ++it)
      flatten(s, ptr + "/" + it.key(), label.empty() ? it.key() : label + "." + it.key(), rows);
    return;
  }
  std::string cell;
  if (v->is_array()) {
    if (v->size() > 3 || v->empty()) return;
    for (std::size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_primitive()) return;
      cell += (i ? ", " : "") + val(s, ptr + "/" + std::to_string(i));
    }
  } else {
    cell = val(s, ptr);
  }
  rows += "<tr><th>" + esc(label) + "</th><td>" + cell + "</td></tr>\n";
}

std::string block_table(const json& s, const std::string& ptr, const std::string& title) {
  std::string rows;
  flatten(s, ptr, "", rows);
  if (rows.empty()) return "";
  return "<div class=\"card\"><h3>" + esc(title) + "</h3>\n<table class=\"kv\">\n" + rows +
         "</table></div>\n";
}

// --- an SVG line plot (convergence, optimization) ----------------------------------------------
std::string svg_plot(const std::string& id, const std::string& title, const std::string& xlabel,
                     const std::string& ylabel, const std::vector<double>& xs,
                     const std::vector<double>& ys, bool logy) {
  std::vector<double> x, y;
  for (std::size_t i = 0; i < xs.size() && i < ys.size(); ++i)
    if (std::isfinite(xs[i]) && std::isfinite(ys[i]) && (!logy || ys[i] > 0)) {
      x.push_back(xs[i]);
      y.push_back(logy ? std::log10(ys[i]) : ys[i]);
    }
  if (x.size() < 2) return "";
  const double W = 620, H = 320, L = 80, R = 20, T = 34, B = 50;
  double x0 = *std::min_element(x.begin(), x.end()), x1 = *std::max_element(x.begin(), x.end());
  double y0 = *std::min_element(y.begin(), y.end()), y1 = *std::max_element(y.begin(), y.end());
  if (logy) {
    y0 = std::floor(y0);
    y1 = std::ceil(y1);
  }
  if (!(x1 > x0)) x1 = x0 + 1;
  if (!(y1 > y0)) {
    y0 -= 0.5;
    y1 += 0.5;
  } else if (!logy) {
    const double pad = 0.05 * (y1 - y0);
    y0 -= pad;
    y1 += pad;
  }
  auto px = [&](double v) { return L + (v - x0) / (x1 - x0) * (W - L - R); };
  auto py = [&](double v) { return H - B - (v - y0) / (y1 - y0) * (H - T - B); };
  std::ostringstream o;
  o << "<svg id=\"" << id << "\" class=\"plot\" viewBox=\"0 0 " << W << " " << H << "\" width=\""
    << W << "\" height=\"" << H << "\" role=\"img\" aria-label=\"" << esc(title)
    << "\">\n<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << W - L - R << "\" height=\""
    << H - T - B << "\" fill=\"#fff\" stroke=\"#888\"/>\n";
  o << "<text x=\"" << W / 2 << "\" y=\"20\" text-anchor=\"middle\" class=\"pt\">" << esc(title)
    << "</text>\n";
  for (int t = 0; t <= 4; ++t) {  // x ticks
    const double v = x0 + (x1 - x0) * t / 4;
    o << "<line x1=\"" << px(v) << "\" x2=\"" << px(v) << "\" y1=\"" << H - B << "\" y2=\""
      << H - B + 5 << "\" stroke=\"#888\"/><text x=\"" << px(v) << "\" y=\"" << H - B + 18
      << "\" text-anchor=\"middle\">" << fmt("%.4g", v) << "</text>\n";
  }
  const int ny = logy ? static_cast<int>(y1 - y0) : 4;
  const int step = logy ? std::max(1, ny / 8) : 1;
  for (int t = 0; t <= ny; t += step) {  // y ticks
    const double v = logy ? y0 + t : y0 + (y1 - y0) * t / 4;
    const std::string label = logy ? "1e" + fmt("%.0f", v) : fmt("%.5g", v);
    o << "<line x1=\"" << L - 5 << "\" x2=\"" << W - R << "\" y1=\"" << py(v) << "\" y2=\"" << py(v)
      << "\" stroke=\"#ddd\"/><text x=\"" << L - 8 << "\" y=\"" << py(v) + 4
      << "\" text-anchor=\"end\">" << label << "</text>\n";
  }
  o << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << H - 10 << "\" text-anchor=\"middle\">"
    << esc(xlabel) << "</text>\n<text transform=\"translate(16," << (T + H - B) / 2
    << ") rotate(-90)\" text-anchor=\"middle\">" << esc(ylabel)
    << "</text>\n<polyline fill=\"none\" "
    << "stroke=\"#1f77b4\" stroke-width=\"2\" points=\"";
  for (std::size_t i = 0; i < x.size(); ++i)
    o << fmt("%.2f", px(x[i])) << "," << fmt("%.2f", py(y[i])) << " ";
  o << "\"/>\n</svg>\n";
  return o.str();
}

// --- the top surface as numbers for the page's canvas and readout --------------------------------
std::vector<std::size_t> sampled(std::size_t n) {
  const std::size_t k = (n + kMaxSide - 1) / kMaxSide;
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < n; i += k) idx.push_back(i);
  if (idx.back() != n - 1) idx.push_back(n - 1);
  return idx;
}

// The die size in mm from design.yaml (die.size_mm), or 0 when unknown.
std::pair<double, double> die_size_mm(const fs::path& yaml) {
  try {
    const YAML::Node d = YAML::LoadFile(yaml.string());
    if (d["die"] && d["die"]["size_mm"] && d["die"]["size_mm"].size() == 2)
      return {d["die"]["size_mm"][0].as<double>(), d["die"]["size_mm"][1].as<double>()};
  } catch (const std::exception&) {
  }
  return {0.0, 0.0};
}

std::string top_surface_json(const fs::path& dir) {
  // Only the sampled nodes of the top plane are read: the field may be gigabytes.
  const std::string npy = (dir / "T.npy").string();
  std::vector<std::size_t> shape;
  io::read_npy_at(npy, {}, &shape);
  if (shape.size() != 3 || shape[0] < 2 || shape[1] < 2 || shape[2] < 1)
    throw std::runtime_error("report: '" + npy + "' is not a 3D field (nx x ny x nz)");
  const std::size_t nx = shape[0], ny = shape[1], nz = shape[2];
  auto [lx, ly] = fs::exists(dir / "design.yaml") ? die_size_mm(dir / "design.yaml")
                                                  : std::pair<double, double>{0.0, 0.0};
  const bool mm = lx > 0 && ly > 0;
  if (!mm) {  // node indices as coordinates
    lx = static_cast<double>(nx - 1);
    ly = static_cast<double>(ny - 1);
  }
  const auto ix = sampled(nx), iy = sampled(ny);
  std::ostringstream o;
  o << "{\"nx\":" << ix.size() << ",\"ny\":" << iy.size() << ",\"full\":[" << nx << "," << ny
    << "],\"unit\":\"" << (mm ? "mm" : "node") << "\",\"lx\":" << fmt("%.9g", lx)
    << ",\"ly\":" << fmt("%.9g", ly) << ",\"xs\":[";
  for (std::size_t a_ = 0; a_ < ix.size(); ++a_)
    o << (a_ ? "," : "") << fmt("%.9g", lx * ix[a_] / (nx - 1));
  o << "],\"ys\":[";
  for (std::size_t b = 0; b < iy.size(); ++b)
    o << (b ? "," : "") << fmt("%.9g", ly * iy[b] / (ny - 1));
  o << "],\"i\":[";
  for (std::size_t a_ = 0; a_ < ix.size(); ++a_) o << (a_ ? "," : "") << ix[a_];
  o << "],\"j\":[";
  for (std::size_t b = 0; b < iy.size(); ++b) o << (b ? "," : "") << iy[b];
  o << "],\"T\":[";
  std::vector<std::size_t> at;
  for (std::size_t i : ix)
    for (std::size_t j : iy) at.push_back((i * ny + j) * nz + nz - 1);
  const std::vector<double> top = io::read_npy_at(npy, at);
  for (std::size_t q = 0; q < top.size(); ++q) {
    const double v = top[q];
    o << (q ? "," : "") << (std::isfinite(v) ? fmt("%.9g", v) : std::string("null"));
  }
  o << "]}";
  return o.str();
}

const char* kCss = R"(
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:1.5em;margin-bottom:4px}h2{border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:28px}
h3{margin-bottom:4px}.sub{color:#666;margin-top:0}p.words{font-size:1.05em;line-height:1.5}
table{border-collapse:collapse;margin:6px 0 12px}th,td{border:1px solid #ccc;padding:3px 9px;text-align:left}
th{background:#f3f3f3;font-weight:normal}table.kv th{min-width:180px}td.n{text-align:right}
.cards{display:flex;flex-wrap:wrap;gap:0 28px;align-items:flex-start}.card h3{margin-top:10px}
figure{display:inline-block;margin:8px;vertical-align:top}figure img{max-width:520px;border:1px solid #ddd}
figcaption{color:#555;font-size:.9em}pre{background:#f7f7f7;border:1px solid #ddd;padding:8px;overflow-x:auto;font-size:.85em}
#top-wrap{display:flex;align-items:flex-start;gap:10px}#top-canvas{image-rendering:pixelated;border:1px solid #888;cursor:crosshair}
#readout{font-family:"DejaVu Sans Mono",monospace;min-height:1.4em;margin:6px 0}.plot text{font-size:12px;fill:#333}.plot .pt{font-size:14px}
.ok{color:#1a7f37}.bad{color:#b3261e}.warn{background:#fff6e0;border:1px solid #e0b040;padding:0 10px}
)";

// Draws the top surface from the embedded numbers (the colours of heatop's PNG heat maps), its
// colour bar, and the temperature under the mouse.
const char* kScript = R"(
(function(){
var el=document.getElementById('top-data');if(!el)return;
var d=JSON.parse(el.textContent),cv=document.getElementById('top-canvas'),bar=document.getElementById('top-bar');
var out=document.getElementById('readout');
var stops=[[0,0,0,4],[.125,31,12,72],[.25,85,15,109],[.375,136,34,106],[.5,186,54,85],[.625,227,89,51],[.75,249,140,10],[.875,249,201,50],[1,252,255,164]];
function colour(t){t=Math.max(0,Math.min(1,t));var s=1;while(s<stops.length-1&&stops[s][0]<t)s++;
var a=stops[s-1],b=stops[s],u=(t-a[0])/(b[0]-a[0]);return[a[1]+u*(b[1]-a[1]),a[2]+u*(b[2]-a[2]),a[3]+u*(b[3]-a[3])];}
var nx=d.nx,ny=d.ny,lo=Infinity,hi=-Infinity;
for(var q=0;q<d.T.length;q++){var v=d.T[q];if(v!==null){if(v<lo)lo=v;if(v>hi)hi=v;}}
if(!(hi>lo)){lo-=0.5;hi+=0.5;}
cv.width=nx;cv.height=ny;var W=480,H=480;if(d.lx>=d.ly)H=Math.max(40,Math.round(W*d.ly/d.lx));else W=Math.max(40,Math.round(H*d.lx/d.ly));
cv.style.width=W+'px';cv.style.height=H+'px';
var ctx=cv.getContext('2d'),img=ctx.createImageData(nx,ny);
for(var i=0;i<nx;i++)for(var j=0;j<ny;j++){var v=d.T[i*ny+j],p=((ny-1-j)*nx+i)*4,c=v===null?[153,153,153]:colour((v-lo)/(hi-lo));
img.data[p]=c[0];img.data[p+1]=c[1];img.data[p+2]=c[2];img.data[p+3]=255;}
ctx.putImageData(img,0,0);
bar.width=90;bar.height=H;var b=bar.getContext('2d');
for(var y=0;y<H-20;y++){var c=colour(1-y/(H-21));b.fillStyle='rgb('+Math.round(c[0])+','+Math.round(c[1])+','+Math.round(c[2])+')';b.fillRect(0,y+10,18,1);}
b.strokeStyle='#888';b.strokeRect(0.5,10.5,18,H-21);b.fillStyle='#222';b.font='11px sans-serif';
for(var t=0;t<=4;t++){var yy=10+(H-21)*(1-t/4);b.fillRect(18,Math.round(yy),4,1);b.fillText((lo+(hi-lo)*t/4).toFixed(3)+' K',24,yy+4);}
function show(ev){var r=cv.getBoundingClientRect(),fx=(ev.clientX-r.left)/r.width,fy=(ev.clientY-r.top)/r.height;
if(fx<0||fx>1||fy<0||fy>1)return;var i=Math.min(nx-1,Math.floor(fx*nx)),j=Math.min(ny-1,Math.floor((1-fy)*ny)),v=d.T[i*ny+j];
out.setAttribute('data-i',d.i[i]);out.setAttribute('data-j',d.j[j]);out.setAttribute('data-value',v===null?'':v);
out.textContent='x '+d.xs[i].toFixed(3)+' '+d.unit+', y '+d.ys[j].toFixed(3)+' '+d.unit+' (node '+d.i[i]+', '+d.j[j]+'): '+
(v===null?'void (no material)':v.toFixed(3)+' K ('+(v-273.15).toFixed(3)+' \u00b0C)');}
cv.addEventListener('mousemove',show);
})();
)";

struct Page {
  std::string kind, title, words, tables, top, figures, plots, inputs;
};

std::string hot_layer(const json& s, const std::string& layers_ptr, double t_max) {
  const json* l = at(s, layers_ptr);
  if (!l || !l->is_array()) return "";
  for (const auto& e : *l)
    if (e.contains("T_max_K") && e["T_max_K"].is_number() && e["T_max_K"].get<double>() == t_max)
      return e.value("name", "");
  return "";
}

std::string layers_table(const json& s, const std::string& ptr) {
  const json* l = at(s, ptr);
  if (!l || !l->is_array() || l->empty()) return "";
  std::string o =
      "<div class=\"card\"><h3>Per-layer maxima</h3>\n<table id=\"layers\"><tr><th>layer</th><th>T "
      "max (K)</th>"
      "<th>T min (K)</th><th>power (W)</th></tr>\n";
  for (std::size_t i = 0; i < l->size(); ++i) {
    const std::string p = ptr + "/" + std::to_string(i);
    o += "<tr><td>" + val(s, p + "/name") + "</td><td class=\"n\">" +
         val(s, p + "/T_max_K", "%.3f") + "</td><td class=\"n\">" + val(s, p + "/T_min_K", "%.3f") +
         "</td><td class=\"n\">" + val(s, p + "/power_W", "%.6g") + "</td></tr>\n";
  }
  return o + "</table></div>\n";
}

std::string power_table(const json& s) {
  const json* h = at(s, "/heat_out_W");
  if (!h || !h->is_object()) return "";
  std::string o =
      "<div class=\"card\"><h3>Power in and out</h3>\n<table id=\"power\"><tr><th>power in</th><td "
      "class=\"n\">" +
      val(s, "/power_in_W", "%.6g") + " W</td></tr>\n";
  double total = 0;
  for (auto it = h->begin(); it != h->end(); ++it) {
    if (it.value().is_number()) total += it.value().get<double>();
    o += "<tr><th>heat out, " + esc(it.key()) + "</th><td class=\"n\">" +
         val(s, "/heat_out_W/" + it.key(), "%.6g") + " W</td></tr>\n";
  }
  o += "<tr><th>heat out, total</th><td class=\"n\">" + fmt("%.6g", total) +
       " W</td></tr>\n<tr><th>energy balance (relative)</th><td class=\"n\">" +
       val(s, "/energy_balance_rel", "%.2e") + "</td></tr>\n</table></div>\n";
  return o;
}

std::string peak_table(const json& s, const std::string& pre) {
  return "<div class=\"card\"><h3>Temperatures</h3>\n<table id=\"peak\"><tr><th>peak</th><td "
         "class=\"n\">" +
         val(s, pre + "/T_max_K", "%.3f") + " K</td></tr>\n<tr><th>where</th><td>" +
         point(s, "/hotspot_mm") + "</td></tr>\n<tr><th>minimum</th><td class=\"n\">" +
         val(s, pre + "/T_min_K", "%.3f") + " K</td></tr>\n<tr><th>mean</th><td class=\"n\">" +
         val(s, pre + "/T_mean_K", "%.3f") + " K</td></tr>\n</table></div>\n";
}

void field_page(const json& s, Page& p) {
  const std::string src = str(s, "/source");
  const double tmax = num(s, "/T_max_K");
  const std::string layer = hot_layer(s, "/layers", tmax);
  std::string w = "<b>" + esc(str(s, "/design")) + "</b> was ";
  if (src == "fv")
    w += "solved by heatop's finite-volume solver";
  else if (src == "surrogate")
    w += "predicted by the neural-operator surrogate <b>" + esc(str(s, "/surrogate/name")) + "</b>";
  else
    w += "predicted by the neural-operator surrogate and refined with the finite-volume solver";
  w += " on a " + val(s, "/grid/nx") + " &times; " + val(s, "/grid/ny") + " &times; " +
       val(s, "/grid/nz") + " node grid. The hottest point is " + val(s, "/T_max_K", "%.3f") +
       " K (" + fmt("%.3f", tmax - 273.15) + " &deg;C) at " + point(s, "/hotspot_mm") +
       (layer.empty() ? "" : ", in layer <b>" + esc(layer) + "</b>") + "; the mean is " +
       val(s, "/T_mean_K", "%.3f") + " K. " + val(s, "/power_in_W", "%.6g") +
       " W go in and the energy balance closes to " + val(s, "/energy_balance_rel", "%.1e") + ".";
  if (at(s, "/solver")) {
    const json* cv = at(s, "/solver/converged");
    const bool converged = cv && cv->is_boolean() && cv->get<bool>();
    w += " The solver (" + val(s, "/solver/method") + " + " + val(s, "/solver/preconditioner") +
         ") " + (converged ? "converged" : "<span class=\"bad\">did not converge</span>") + " in " +
         val(s, "/solver/iterations") + " iterations to a relative residual of " +
         val(s, "/solver/rel_residual", "%.1e") + " (" + val(s, "/solver/seconds", "%.3f") + " s).";
  }
  if (at(s, "/confidence")) {
    const json* tr = at(s, "/confidence/trusted");
    const bool trusted = tr && tr->is_boolean() && tr->get<bool>();
    w +=
        " Its estimated maximum error against the finite-volume solution is " +
        val(s, "/confidence/est_max_error_K", "%.3g") + " K at " +
        point(s, "/confidence/est_max_error_at_mm") + ": confidence " +
        val(s, "/confidence/score", "%.3f") + ", " +
        (trusted ? "<span class=\"ok\">trusted</span>" : "<span class=\"bad\">not trusted</span>") +
        " against the tolerance of " + val(s, "/confidence/tolerance_K", "%.3g") + " K.";
  }
  if (at(s, "/refinement"))
    w += " Refinement: " + val(s, "/refinement/warm_iterations") +
         " warm-started iterations against " + val(s, "/refinement/cold_iterations") +
         " from a uniform start.";
  p.words = w;
  p.tables = peak_table(s, "") + layers_table(s, "/layers") + power_table(s) +
             block_table(s, "/solver", "Solver report") +
             block_table(s, "/surrogate", "Surrogate (model and training report)") +
             block_table(s, "/confidence", "Confidence") +
             block_table(s, "/prediction_confidence", "Confidence of the unrefined prediction") +
             block_table(s, "/refinement", "Refinement") + block_table(s, "/grid", "Grid");
  const json* hist = at(s, "/solver/history");
  if (hist && hist->is_array()) {
    std::vector<double> x, y;
    for (std::size_t i = 0; i < hist->size(); ++i)
      if ((*hist)[i].is_number()) {
        x.push_back(static_cast<double>(i));
        y.push_back((*hist)[i].get<double>());
      }
    p.plots +=
        svg_plot("convergence", "Solver convergence", "iteration", "relative residual", x, y, true);
  }
}

void transient_page(const json& s, Page& p) {
  std::string w =
      "<b>" + esc(str(s, "/design")) + "</b> was simulated in time from " +
      val(s, "/t_start_s", "%.6g") + " s to " + val(s, "/t_end_s", "%.6g") + " s with " +
      val(s, "/method") + " (" + val(s, "/steps/accepted") + " steps, " +
      val(s, "/steps/rejected") + " rejected, " + val(s, "/cg_iterations/total") +
      " CG iterations) from " + val(s, "/initial") + ". The peak over the run is " +
      val(s, "/T_max_over_run_K", "%.3f") + " K at t = " + val(s, "/T_max_time_s", "%.6g") +
      " s, " + point(s, "/T_max_where_mm") + "; at the end the peak is " +
      val(s, "/final/T_max_K", "%.3f") + " K. " + val(s, "/energy/in_J", "%.6g") + " J went in, " +
      val(s, "/energy/out_J", "%.6g") + " J out, " + val(s, "/energy/stored_change_J", "%.6g") +
      " J were stored (balance over the run " + val(s, "/energy/run_balance_rel", "%.1e") + ").";
  p.words = w;
  p.tables =
      "<div class=\"card\"><h3>Temperatures</h3>\n<table id=\"peak\"><tr><th>peak over the run</th>"
      "<td class=\"n\">" +
      val(s, "/T_max_over_run_K", "%.3f") + " K</td></tr>\n<tr><th>when</th><td>" +
      val(s, "/T_max_time_s", "%.6g") + " s</td></tr>\n<tr><th>where</th><td>" +
      point(s, "/T_max_where_mm") + "</td></tr>\n<tr><th>final peak</th><td class=\"n\">" +
      val(s, "/final/T_max_K", "%.3f") +
      " K</td></tr>\n<tr><th>final mean</th>"
      "<td class=\"n\">" +
      val(s, "/final/T_mean_K", "%.3f") + " K</td></tr>\n</table></div>\n" +
      layers_table(s, "/final/layers") + block_table(s, "/energy", "Energy (J)") +
      block_table(s, "/steps", "Time steps") +
      block_table(s, "/cg_iterations", "Solver report (CG iterations)") +
      block_table(s, "/grid", "Grid");
}

void optimize_page(const json& s, Page& p) {
  std::string w = "Placement problem <b>" + esc(str(s, "/problem")) + "</b> was optimized (" +
                  val(s, "/mode") + ", simulated annealing): the peak temperature went from " +
                  val(s, "/start_peak_K_fv", "%.3f") + " K to " +
                  val(s, "/final_peak_K_fv", "%.3f") + " K (both finite-volume verified), " +
                  val(s, "/improvement_K", "%.3f") + " K cooler, after " +
                  val(s, "/evaluations/total") + " evaluations in " +
                  val(s, "/wall_seconds", "%.2f") + " s.";
  if (at(s, "/max_estimated_error_K") && !at(s, "/max_estimated_error_K")->is_null())
    w += " The surrogate's largest estimated error during the search was " +
         val(s, "/max_estimated_error_K", "%.3g") + " K.";
  p.words = w;
  std::string t =
      "<div class=\"card\"><h3>Result</h3>\n<table id=\"peak\"><tr><th>start peak (FV)</th><td "
      "class=\"n\">" +
      val(s, "/start_peak_K_fv", "%.3f") +
      " K</td></tr>\n<tr><th>final peak (FV)</th>"
      "<td class=\"n\">" +
      val(s, "/final_peak_K_fv", "%.3f") +
      " K</td></tr>\n<tr><th>final peak (surrogate)</th>"
      "<td class=\"n\">" +
      val(s, "/final_peak_K_surrogate", "%.3f") +
      "</td></tr>\n<tr><th>improvement</th>"
      "<td class=\"n\">" +
      val(s, "/improvement_K", "%.3f") + " K</td></tr>\n</table></div>\n";
  const json* pl = at(s, "/placement");
  if (pl && pl->is_array() && !pl->empty()) {
    t += "<div class=\"card\"><h3>Placement</h3>\n<table id=\"placement\"><tr>";
    std::vector<std::string> keys;
    for (auto it = (*pl)[0].begin(); it != (*pl)[0].end(); ++it)
      if (it.value().is_primitive()) keys.push_back(it.key());
    for (const auto& k : keys) t += "<th>" + esc(k) + "</th>";
    t += "</tr>\n";
    for (std::size_t i = 0; i < pl->size(); ++i) {
      t += "<tr>";
      for (const auto& k : keys)
        t += "<td>" + val(s, "/placement/" + std::to_string(i) + "/" + k) + "</td>";
      t += "</tr>\n";
    }
    t += "</table></div>\n";
  }
  t += block_table(s, "/evaluations", "Evaluations") + block_table(s, "/optimizer", "Optimizer");
  p.tables = t;
  const json* tr = at(s, "/trace");
  if (tr && tr->is_array()) {
    std::vector<double> x, y;
    for (const auto& e : *tr)
      if (e.is_array() && e.size() == 3 && e[0].is_number() && e[2].is_number()) {
        x.push_back(e[0].get<double>());
        y.push_back(e[2].get<double>());
      }
    p.plots += svg_plot("convergence", "Optimization: best peak so far", "evaluations",
                        "peak temperature (K)", x, y, false);
  }
}

// A list of strings of summary.json (warnings, notes) as a bulleted list.
std::string string_list(const json& s, const std::string& ptr, const std::string& id) {
  const json* l = at(s, ptr);
  if (!l || !l->is_array() || l->empty()) return "";
  std::string o = "<ul id=\"" + id + "\">";
  for (std::size_t i = 0; i < l->size(); ++i)
    o += "<li>" + val(s, ptr + "/" + std::to_string(i)) + "</li>";
  return o + "</ul>\n";
}

void import_page(const json& s, Page& p) {
  const json* warnings = at(s, "/warnings");
  const std::size_t nw = warnings && warnings->is_array() ? warnings->size() : 0;
  p.words = "A " + val(s, "/tool") + " model (" + val(s, "/inputs") + ") was imported as <b>" +
            esc(str(s, "/design")) + "</b>: a die of " + val(s, "/imported/die_mm/0", "%.6g") +
            " &times; " + val(s, "/imported/die_mm/1", "%.6g") + " mm, " +
            val(s, "/imported/thickness_mm", "%.6g") + " mm thick, with " +
            val(s, "/imported/power_W", "%.6g") + " W in total. " +
            (nw ? std::to_string(nw) + (nw > 1 ? " warnings below say" : " warning below says") +
                      " what heatop does not model or approximates."
                : std::string("heatop models everything the input describes (no warnings)."));
  std::string t;
  if (nw)
    t += "<div class=\"card warn\"><h3>Warnings</h3>\n" + string_list(s, "/warnings", "warnings") +
         "</div>\n";
  if (const std::string notes = string_list(s, "/notes", "notes"); !notes.empty())
    t += "<div class=\"card\"><h3>Notes</h3>\n" + notes + "</div>\n";
  const json* l = at(s, "/imported/layers");
  if (l && l->is_array() && !l->empty()) {
    t += "<div class=\"card\"><h3>Layers (bottom to top)</h3>\n<table id=\"layers\"><tr>"
         "<th>layer</th><th>thickness (mm)</th><th>k in-plane (W/(m K))</th>"
         "<th>k through-plane (W/(m K))</th><th>heat capacity (J/(m&sup3; K))</th>"
         "<th>power (W)</th></tr>\n";
    for (std::size_t i = 0; i < l->size(); ++i) {
      const std::string q = "/imported/layers/" + std::to_string(i);
      t += "<tr><td>" + val(s, q + "/name") + "</td><td class=\"n\">" +
           val(s, q + "/thickness_mm") + "</td><td class=\"n\">" + val(s, q + "/k_xy_W_per_mK") +
           "</td><td class=\"n\">" + val(s, q + "/k_z_W_per_mK") + "</td><td class=\"n\">" +
           val(s, q + "/c_J_per_m3K") + "</td><td class=\"n\">" + val(s, q + "/power_W") +
           "</td></tr>\n";
    }
    t += "</table></div>\n";
  }
  t += block_table(s, "/imported/faces", "Boundary conditions") +
       block_table(s, "/imported/grid", "Grid (design file)");
  p.tables = t;
}

}  // namespace

std::string render_report(const std::string& folder, const std::string& name) {
  const fs::path dir(folder);
  const fs::path sp = dir / "summary.json";
  if (!fs::is_regular_file(sp))
    throw std::runtime_error("report: '" + folder +
                             "' has no summary.json (not a heatop results folder)");
  json s;
  try {
    s = json::parse(read_file(sp));
  } catch (const json::exception& e) {
    throw std::runtime_error("report: '" + sp.string() + "' is not valid JSON: " + e.what());
  }
  if (!s.is_object())
    throw std::runtime_error("report: '" + sp.string() + "' does not hold a JSON object");
  json manifest;
  if (fs::is_regular_file(dir / "manifest.json")) {
    try {
      manifest = json::parse(read_file(dir / "manifest.json"));
    } catch (const json::exception& e) {
      throw std::runtime_error("report: '" + (dir / "manifest.json").string() +
                               "' is not valid JSON: " + e.what());
    }
  }

  Page p;
  const std::string src = str(s, "/source");
  if (at(s, "/problem") && at(s, "/mode")) {
    p.kind = "optimize";
    p.title = "Placement optimization: " + str(s, "/problem");
    optimize_page(s, p);
  } else if (src == "import") {
    p.kind = "import";
    p.title = "Import: " + str(s, "/design");
    import_page(s, p);
  } else if (src == "fv-transient") {
    p.kind = "transient";
    p.title = "Transient: " + str(s, "/design");
    transient_page(s, p);
  } else if (at(s, "/T_max_K")) {
    p.kind = src == "fv" ? "solve" : "predict";
    p.title = (src == "fv" ? "Solve: " : "Prediction: ") + str(s, "/design");
    field_page(s, p);
  } else {
    throw std::runtime_error("report: '" + sp.string() +
                             "' is neither a solve, predict, transient, optimize nor import "
                             "summary");
  }

  // Files of the folder, in summary.json's order when it lists them.
  std::vector<std::string> files;
  if (const json* f = at(s, "/files"); f && f->is_array()) {
    for (const auto& e : *f)
      if (e.is_string()) files.push_back(e.get<std::string>());
  } else {
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) files.push_back(e.path().filename().string());
    std::sort(files.begin(), files.end());
  }

  if (fs::is_regular_file(dir / "T.npy")) {
    p.top =
        "<h2>Top surface</h2>\n<p>Move the mouse over the map for the temperature at a node "
        "(x to the right, y up).</p>\n<div id=\"top-wrap\"><canvas id=\"top-canvas\"></canvas>"
        "<canvas id=\"top-bar\"></canvas></div>\n<div id=\"readout\">&nbsp;</div>\n"
        "<script type=\"application/json\" id=\"top-data\">" +
        top_surface_json(dir) + "</script>\n";
  }
  for (const auto& f : files) {
    if (f.size() < 4 || f.compare(f.size() - 4, 4, ".png") != 0) continue;
    if (!fs::is_regular_file(dir / f)) continue;  // listed but gone: leave it out
    p.figures += "<figure><img alt=\"" + esc(f) + "\" src=\"data:image/png;base64," +
                 base64(read_file(dir / f)) + "\"><figcaption>" + esc(f) +
                 "</figcaption></figure>\n";
  }

  // Inputs.
  std::string in;
  std::string cmd = manifest.is_object() ? manifest.value("command_line", "") : "";
  if (cmd.empty()) cmd = str(s, "/command_line");
  if (!cmd.empty())
    in += "<h3>Command line</h3>\n<pre id=\"command-line\">" + esc(cmd) + "</pre>\n";
  if (manifest.is_object()) {
    in += "<table class=\"kv\">";
    for (const char* k : {"design_file", "date_utc", "heatop_version", "threads"})
      if (manifest.contains(k) && manifest[k].is_primitive())
        in += "<tr><th>" + std::string(k) + "</th><td>" +
              esc(manifest[k].is_string() ? manifest[k].get<std::string>() : manifest[k].dump()) +
              "</td></tr>";
    if (manifest.contains("overrides") && manifest["overrides"].is_array() &&
        !manifest["overrides"].empty()) {
      std::string ov;
      for (const auto& o : manifest["overrides"])
        if (o.is_string()) ov += esc(o.get<std::string>()) + "<br>";
      in += "<tr><th>overrides (--set)</th><td>" + ov + "</td></tr>";
    }
    in += "</table>\n";
  }
  if (fs::is_regular_file(dir / "design.yaml"))
    in += std::string("<h3>design.yaml (") +
          (p.kind == "import" ? "the imported design" : "the effective design") +
          ")</h3>\n<pre id=\"design-yaml\">" + esc(read_file(dir / "design.yaml")) + "</pre>\n";
  if (fs::is_regular_file(dir / "placement.json"))
    in += "<h3>placement.json</h3>\n<pre>" + esc(read_file(dir / "placement.json")) + "</pre>\n";
  std::string flist;
  for (const auto& f : files) flist += "<li><a href=\"" + esc(f) + "\">" + esc(f) + "</a></li>";

  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>heatop "
       "report: "
    << esc(p.title) << "</title>\n<style>" << kCss << "</style>\n</head>\n<body data-kind=\""
    << p.kind << "\">\n<h1>" << esc(p.title) << "</h1>\n<p class=\"sub\">heatop "
    << esc(str(s, "/heatop_version")) << " &middot; " << esc(p.kind) << " results in "
    << esc(name.empty() ? fs::path(folder).lexically_normal().filename().string() : name)
    << "</p>\n"
    << "<h2>Summary</h2>\n<p class=\"words\" id=\"words\">" << p.words << "</p>\n"
    << "<div class=\"cards\">\n"
    << p.tables << "</div>\n"
    << p.top;
  if (!p.plots.empty()) h << "<h2>Convergence</h2>\n" << p.plots;
  if (!p.figures.empty()) h << "<h2>Pictures</h2>\n" << p.figures;
  h << "<h2>Inputs</h2>\n"
    << in << "<h2>Files</h2>\n<ul>" << flist << "</ul>\n<script>" << kScript
    << "</script>\n</body>\n</html>\n";
  return h.str();
}

void write_report(io::OutputDir& out) {
  const std::string html =
      render_report(out.staged(""), fs::path(out.target()).lexically_normal().filename().string());
  std::ofstream f(out.file("report.html"), std::ios::binary);
  f << html;
  f.close();
  if (!f) throw std::runtime_error("cannot write report.html in '" + out.target() + "'");
}

std::string regenerate_report(const std::string& folder) {
  if (!fs::is_directory(folder))
    throw std::runtime_error("report: '" + folder + "' is not a folder");
  const io::OutputLock lock(folder);
  const std::string html = render_report(folder);
  const fs::path target = fs::path(folder) / "report.html";
  io::write_file_atomically(target.string(), html);
  return target.string();
}

}  // namespace heatop::report
