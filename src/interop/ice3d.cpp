#include "interop/ice3d.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "io/design_file.hpp"

namespace heatop::interop::ice3d {

namespace fs = std::filesystem;

namespace {

constexpr double kUm = 1e-6;  // m per um

struct Token {
  enum Kind { kWord, kNumber, kString, kPunct, kEnd } kind = kEnd;
  std::string text;
  double value = 0;
  int line = 0;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string g(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.10g", v);
  return buf;
}

// Splits 3D-ICE text into words, numbers, "strings" and the punctuation : ; , ( ), dropping
// // and /* */ comments.
std::vector<Token> tokenize(const std::string& path, const char* what) {
  std::error_code ec;  // non-throwing: a name too long for the file system is not found
  if (!fs::exists(path, ec)) throw std::runtime_error(std::string(what) + " not found: " + path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot read ") + what + ": " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string s = ss.str();
  std::vector<Token> out;
  int line = 1;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      const int start = line;
      i += 2;
      while (i + 1 < s.size() && !(s[i] == '*' && s[i + 1] == '/')) line += s[i++] == '\n';
      if (i + 1 >= s.size())
        throw std::invalid_argument(path + ":" + std::to_string(start) +
                                    ": unterminated /* comment");
      i += 2;
      continue;
    }
    Token t;
    t.line = line;
    if (c == ':' || c == ';' || c == ',' || c == '(' || c == ')') {
      t.kind = Token::kPunct;
      t.text = std::string(1, c);
      ++i;
    } else if (c == '"') {
      const std::size_t end = s.find('"', i + 1);
      if (end == std::string::npos || s.find('\n', i + 1) < end)
        throw std::invalid_argument(path + ":" + std::to_string(line) + ": unterminated string");
      t.kind = Token::kString;
      t.text = s.substr(i + 1, end - i - 1);
      i = end + 1;
    } else {
      std::size_t j = i;
      while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j])) &&
             std::string(":;,()\"").find(s[j]) == std::string::npos)
        ++j;
      t.text = s.substr(i, j - i);
      i = j;
      t.kind = Token::kWord;
      try {
        std::size_t used = 0;
        t.value = std::stod(t.text, &used);
        if (used == t.text.size()) t.kind = Token::kNumber;
      } catch (const std::exception&) {
      }
    }
    out.push_back(t);
  }
  Token end;
  end.line = line;
  out.push_back(end);
  return out;
}

class Parser {
 public:
  Parser(std::string path, std::vector<Token> t) : path_(std::move(path)), t_(std::move(t)) {}

  const Token& peek(std::size_t ahead = 0) const {
    return t_[std::min(pos_ + ahead, t_.size() - 1)];
  }
  bool at_end() const { return peek().kind == Token::kEnd; }
  bool is_word(const char* w, std::size_t ahead = 0) const {
    return peek(ahead).kind == Token::kWord && lower(peek(ahead).text) == w;
  }
  bool is_punct(char c, std::size_t ahead = 0) const {
    return peek(ahead).kind == Token::kPunct && peek(ahead).text[0] == c;
  }
  [[noreturn]] void fail(const std::string& msg, int line = -1) const {
    throw std::invalid_argument(path_ + ":" + std::to_string(line < 0 ? peek().line : line) + ": " +
                                msg);
  }
  std::string describe(const Token& t) const {
    return t.kind == Token::kEnd ? "the end of the file" : "'" + t.text + "'";
  }
  void word(const char* w) {
    if (!is_word(w)) fail(std::string("expected '") + w + "', found " + describe(peek()));
    ++pos_;
  }
  void words(std::initializer_list<const char*> ws) {
    for (const char* w : ws) word(w);
  }
  void punct(char c) {
    if (!is_punct(c)) fail(std::string("expected '") + c + "', found " + describe(peek()));
    ++pos_;
  }
  double number(const std::string& what) {
    if (peek().kind != Token::kNumber)
      fail(what + ": expected a number, found " + describe(peek()));
    const double v = peek().value;
    if (!std::isfinite(v)) fail(what + ": must be finite");
    ++pos_;
    return v;
  }
  double positive(const std::string& what) {
    const int line = peek().line;
    const double v = number(what);
    if (!(v > 0)) fail(what + " must be positive, got " + g(v), line);
    return v;
  }
  // A cell count: a whole number from 1 to 100000 (checked before the int conversion).
  int count(const std::string& what) {
    const int line = peek().line;
    const double v = number(what);
    if (!(v >= 1 && v <= 100000) || v != std::floor(v))
      fail(what + " must be a whole number from 1 to 100000, got " + g(v), line);
    return static_cast<int>(v);
  }
  std::string name(const std::string& what) {
    if (peek().kind != Token::kWord) fail("expected " + what + ", found " + describe(peek()));
    return t_[pos_++].text;
  }
  std::string string(const std::string& what) {
    if (peek().kind != Token::kString)
      fail("expected " + what + " in double quotes, found " + describe(peek()));
    return t_[pos_++].text;
  }
  void skip() { ++pos_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<Token> t_;
  std::size_t pos_ = 0;
};

void parse_material(Parser& p, Stack& s) {
  Material m;
  m.line = p.peek().line;
  p.word("material");
  m.name = p.name("a material name");
  p.punct(':');
  p.words({"thermal", "conductivity"});
  m.kx = m.ky = m.kz = p.positive("thermal conductivity");
  if (p.is_punct(',')) {
    p.skip();
    m.ky = p.positive("thermal conductivity ky");
    p.punct(',');
    m.kz = p.positive("thermal conductivity kz");
  }
  p.punct(';');
  p.words({"volumetric", "heat", "capacity"});
  m.heat_capacity = p.positive("volumetric heat capacity") * 1e18;
  p.punct(';');
  m.kx *= 1e6;
  m.ky *= 1e6;
  m.kz *= 1e6;
  for (const auto& o : s.materials)
    if (o.name == m.name) p.fail("material '" + m.name + "' is defined twice", m.line);
  s.materials.push_back(m);
}

void parse_sink(Parser& p, HeatSink& hs) {
  hs.present = true;
  hs.line = p.peek().line;
  p.skip();  // top | bottom
  p.words({"heat", "sink"});
  p.punct(':');
  bool h = false, t = false;
  while (!p.at_end()) {
    if (p.is_word("heat") && p.is_word("transfer", 1)) {
      p.words({"heat", "transfer", "coefficient"});
      hs.h = p.positive("heat transfer coefficient") * 1e12;
      p.punct(';');
      h = true;
    } else if (p.is_word("temperature")) {
      p.skip();
      hs.t_amb = p.positive("heat sink temperature");
      p.punct(';');
      t = true;
    } else if (p.is_word("sink") || p.is_word("spreader")) {
      p.fail("heat sinks with a '" + p.peek().text +
             "' description (3D-ICE's conventional "
             "sink/spreader model) are not supported by heatop yet; give 'heat transfer "
             "coefficient' and 'temperature' only");
    } else {
      break;
    }
  }
  if (!h || !t)
    p.fail(std::string("the heat sink needs '") +
               (h ? "temperature" : "heat transfer coefficient") + "'",
           hs.line);
}

void parse_dimensions(Parser& p, Stack& s) {
  p.word("dimensions");
  p.punct(':');
  p.words({"chip", "length"});
  s.lx = p.positive("chip length") * kUm;
  p.punct(',');
  p.word("width");
  s.ly = p.positive("chip width") * kUm;
  p.punct(';');
  p.words({"cell", "length"});
  s.dx = p.positive("cell length") * kUm;
  p.punct(',');
  p.word("width");
  s.dy = p.positive("cell width") * kUm;
  p.punct(';');
  if (p.is_word("non-uniform")) {
    p.skip();
    const std::string v = lower(p.name("true or false"));
    if (v != "true" && v != "false") p.fail("non-uniform: expected true or false, got '" + v + "'");
    s.non_uniform = v == "true";
    p.punct(';');
  }
}

Layer parse_die_layer(Parser& p) {
  Layer l;
  l.line = p.peek().line;
  l.source = p.is_word("source");
  p.skip();
  l.thickness = p.positive(l.source ? "source layer height" : "layer height") * kUm;
  l.material = p.name("a material name");
  p.punct(';');
  return l;
}

// 3D-ICE opens a floorplan path as written, i.e. relative to the folder it is run from; its
// regression stacks (test/solid/transient/*.stk) name floorplans that lie next to the folder
// they are run from, one level above the .stk. heatop looks next to the .stk, then in the current
// folder, then in the .stk folder's parents.
std::string resolve_floorplan(const std::string& stk, const std::string& written) {
  const fs::path fp(written);
  if (fp.is_absolute()) return written;
  const fs::path dir = fs::path(stk).parent_path();
  const std::string beside = (dir / fp).lexically_normal().string();
  std::error_code ec;  // non-throwing: a name the file system refuses (too long) is not found
  if (fs::exists(beside, ec)) return beside;
  if (fs::exists(fp, ec)) return written;
  fs::path up = fs::absolute(dir).lexically_normal();
  for (int level = 0; level < 2 && up.has_parent_path() && up.parent_path() != up; ++level) {
    up = up.parent_path();
    if (fs::exists(up / fp, ec)) return (up / fp).lexically_normal().string();
  }
  return beside;  // not found: the error names the path next to the .stk
}

void parse_output_section(Parser& p, Stack& s) {
  const int line = p.peek().line;
  p.skip();
  p.punct(':');
  while (!p.at_end()) {
    OutputRequest o;
    o.line = p.peek().line;
    const std::string kind = lower(p.name("an output request (T, Tflp, Tflpel, Tmap, ...)"));
    o.kind = kind == "t"        ? OutputRequest::kT
             : kind == "tflp"   ? OutputRequest::kTflp
             : kind == "tflpel" ? OutputRequest::kTflpel
             : kind == "tmap"   ? OutputRequest::kTmap
                                : OutputRequest::kOther;
    p.punct('(');
    std::vector<Token> args;
    while (!p.at_end() && !p.is_punct(')')) {
      if (p.is_punct(',')) {
        p.skip();
        continue;
      }
      args.push_back(p.peek());
      p.skip();
    }
    p.punct(')');
    p.punct(';');
    auto bad = [&](const std::string& why) { p.fail(kind + "(...): " + why, o.line); };
    auto quantity = [&](const Token& t) {
      const std::string q = lower(t.text);
      if (q != "minimum" && q != "maximum" && q != "average")
        bad("expected minimum, maximum or average, found '" + t.text + "'");
      return q;
    };
    auto when = [&](const Token& t) {
      const std::string w = lower(t.text);
      if (w != "final" && w != "slot" && w != "step")
        bad("expected final, slot or step, found '" + t.text + "'");
      return w;
    };
    if (o.kind == OutputRequest::kOther) {
      s.notes.push_back(p.path() + ":" + std::to_string(o.line) + ": output '" + kind +
                        "' is not produced by heatop (it writes T, Tflp, Tflpel and Tmap)");
      s.outputs.push_back(o);
      continue;
    }
    const std::size_t want = o.kind == OutputRequest::kT      ? 5
                             : o.kind == OutputRequest::kTmap ? 3
                                                              : 4;
    if (args.size() != want)
      bad("expected " + std::to_string(want) + " arguments, found " + std::to_string(args.size()));
    std::size_t a = 0;
    if (args[a].kind != Token::kWord)
      bad("expected a stack element id, found '" + args[a].text + "'");
    o.id = args[a++].text;
    if (o.kind == OutputRequest::kTflpel) {
      const auto dot = o.id.find('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == o.id.size())
        bad("expected DIE.ELEMENT, found '" + o.id + "'");
      o.element = o.id.substr(dot + 1);
      o.id = o.id.substr(0, dot);
    }
    if (o.kind == OutputRequest::kT) {
      for (int c = 0; c < 2; ++c) {
        if (args[a].kind != Token::kNumber)
          bad("expected a coordinate in um, found '" + args[a].text + "'");
        (c == 0 ? o.x : o.y) = args[a++].value * kUm;
      }
    }
    if (args[a].kind != Token::kString) bad("expected the output file in double quotes");
    o.file = args[a++].text;
    if (o.kind == OutputRequest::kTflp || o.kind == OutputRequest::kTflpel)
      o.quantity = quantity(args[a++]);
    o.when = when(args[a++]);
    s.outputs.push_back(o);
  }
  (void)line;
}

void parse_stack_section(Parser& p, Stack& s) {
  p.word("stack");
  p.punct(':');
  while (!p.at_end() && !p.is_word("solver") && !p.is_word("output")) {
    StackItem it;
    it.line = p.peek().line;
    if (p.is_word("channel"))
      p.fail(
          "the stack holds a microchannel cavity ('channel'): microchannel and pin-fin "
          "stacks are not supported by heatop yet");
    if (p.is_word("die")) {
      p.skip();
      it.kind = StackItem::kDie;
      it.id = p.name("a die id");
      it.type = p.name("a die type");
      p.word("floorplan");
      it.floorplan = p.string("the floorplan file");
      it.floorplan_path = resolve_floorplan(p.path(), it.floorplan);
      if (p.is_word("discretization")) {
        p.skip();
        it.discretization = {p.count("discretization nx"), p.count("discretization ny")};
      }
      p.punct(';');
    } else if (p.is_word("layer")) {
      p.skip();
      it.kind = StackItem::kLayer;
      it.id = p.name("a layer id");
      it.type = p.name("a layer type");
      if (p.is_word("discretization")) {
        p.skip();
        it.discretization = {p.count("discretization nx"), p.count("discretization ny")};
      }
      p.punct(';');
    } else {
      p.fail("expected 'die', 'layer' or 'channel' in the stack section, found " +
             p.describe(p.peek()));
    }
    for (const auto& o : s.items)
      if (o.id == it.id) p.fail("stack id '" + it.id + "' is used twice", it.line);
    s.items.push_back(it);
  }
}

}  // namespace

Stack read_stack(const std::string& path) {
  Parser p(path, tokenize(path, "3D-ICE stack file"));
  Stack s;
  s.path = path;
  bool dims = false, stack = false;
  while (!p.at_end()) {
    if (p.is_word("material")) {
      parse_material(p, s);
    } else if ((p.is_word("top") || p.is_word("bottom")) && p.is_word("heat", 1)) {
      HeatSink& hs = p.is_word("top") ? s.top : s.bottom;
      if (hs.present) p.fail("the " + lower(p.peek().text) + " heat sink is given twice");
      parse_sink(p, hs);
    } else if (p.is_word("heat") && p.is_word("sink", 1)) {
      p.fail("'heat sink' without 'top' or 'bottom' (3D-ICE 2 syntax): write 'top heat sink :'");
    } else if (p.is_word("microchannel") || p.is_word("pinfin") || p.is_word("channel")) {
      p.fail("'" + p.peek().text +
             "': microchannel and pin-fin cavities are not supported by "
             "heatop yet (only solid stacks with heat sinks can be imported)");
    } else if (p.is_word("dimensions")) {
      parse_dimensions(p, s);
      dims = true;
    } else if (p.is_word("layer")) {
      p.skip();
      const int line = p.peek().line;
      const std::string name = p.name("a layer name");
      p.punct(':');
      Layer l;
      l.line = line;
      p.word("height");
      l.thickness = p.positive("layer height") * kUm;
      p.punct(';');
      p.word("material");
      l.material = p.name("a material name");
      p.punct(';');
      s.layer_types.push_back({name, l});
    } else if (p.is_word("die")) {
      DieType d;
      d.line = p.peek().line;
      p.skip();
      d.name = p.name("a die name");
      p.punct(':');
      while ((p.is_word("layer") || p.is_word("source")) && p.peek(1).kind == Token::kNumber)
        d.layers.push_back(parse_die_layer(p));
      int sources = 0;
      for (const auto& l : d.layers) sources += l.source;
      if (sources != 1)
        p.fail("die '" + d.name + "' needs exactly one 'source' layer, it has " +
                   std::to_string(sources),
               d.line);
      s.dies.push_back(d);
    } else if (p.is_word("stack")) {
      parse_stack_section(p, s);
      stack = true;
    } else if (p.is_word("solver")) {
      const int line = p.peek().line;
      p.skip();
      p.punct(':');
      s.solver_line = line;
      while (!p.at_end() && !p.is_word("output")) {
        if (p.is_word("transient")) s.transient = true;
        const bool step = p.is_word("step"), slot = p.is_word("slot"),
                   temp = p.is_word("temperature");
        p.skip();
        if ((step || slot || temp) && p.peek().kind == Token::kNumber) {
          const double v = p.peek().value;
          (step ? s.step : slot ? s.slot : s.t_initial) = v;
          p.skip();
        }
      }
    } else if (p.is_word("output")) {
      const int line = p.peek().line;
      parse_output_section(p, s);
      if (!s.transient)
        s.notes.push_back(path + ":" + std::to_string(line) +
                          ": output requests are written by `heatop transient` only; use "
                          "`heatop solve --export 3d-ice` for Tmap/Tflp text layouts");
    } else {
      p.fail("unexpected " + p.describe(p.peek()) +
             " (expected a section: material, top/bottom "
             "heat sink, layer, die, dimensions, stack, solver, output)");
    }
  }
  if (!dims) p.fail("the 'dimensions' section is missing");
  if (!stack || s.items.empty()) p.fail("the 'stack' section is missing or empty");
  return s;
}

Floorplan read_floorplan(const std::string& path) {
  Parser p(path, tokenize(path, "3D-ICE floorplan file"));
  Floorplan f;
  f.path = path;
  while (!p.at_end()) {
    Element e;
    e.line = p.peek().line;
    e.name = p.name("a floorplan element name");
    p.punct(':');
    bool has_pos = false, has_dim = false;
    Rect r;
    while (!p.at_end() && !(p.peek().kind == Token::kWord && p.is_punct(':', 1))) {
      if (p.is_word("position")) {
        p.skip();
        r.x = p.number("position x") * kUm;
        p.punct(',');
        r.y = p.number("position y") * kUm;
        p.punct(';');
        has_pos = true;
      } else if (p.is_word("dimension")) {
        p.skip();
        r.w = p.positive("dimension (length)") * kUm;
        p.punct(',');
        r.h = p.positive("dimension (width)") * kUm;
        p.punct(';');
        has_dim = true;
      } else if (p.is_word("rectangle")) {
        p.skip();
        p.punct('(');
        Rect q;
        q.x = p.number("rectangle x") * kUm;
        p.punct(',');
        q.y = p.number("rectangle y") * kUm;
        p.punct(',');
        q.w = p.positive("rectangle length") * kUm;
        p.punct(',');
        q.h = p.positive("rectangle width") * kUm;
        p.punct(')');
        p.punct(';');
        e.rects.push_back(q);
      } else if (p.is_word("discretization")) {
        p.skip();
        p.number("discretization nx");
        p.punct(',');
        p.number("discretization ny");
        p.punct(';');
      } else if (p.is_word("material")) {
        p.fail("element '" + e.name +
               "': a per-element material is not supported by heatop "
               "(one material per layer)");
      } else if (p.is_word("power")) {
        p.skip();
        p.word("values");
        for (;;) {
          const int line = p.peek().line;
          const double v = p.number("power value");
          if (v < 0) p.fail("element '" + e.name + "': negative power " + g(v) + " W", line);
          e.power.push_back(v);
          if (!p.is_punct(',')) break;
          p.skip();
        }
        p.punct(';');
      } else {
        p.fail("element '" + e.name + "': unexpected " + p.describe(p.peek()) +
               " (expected position, dimension, rectangle, discretization or power values)");
      }
    }
    if (has_pos != has_dim)
      p.fail("element '" + e.name + "' needs both 'position' and 'dimension'", e.line);
    if (has_pos) e.rects.insert(e.rects.begin(), r);
    if (e.rects.empty())
      p.fail("element '" + e.name + "' has no geometry (position + dimension, or rectangles)",
             e.line);
    if (e.power.empty()) p.fail("element '" + e.name + "' has no 'power values'", e.line);
    for (const auto& o : f.elements)
      if (o.name == e.name) p.fail("element '" + e.name + "' is defined twice", e.line);
    f.elements.push_back(e);
  }
  if (f.elements.empty()) throw std::invalid_argument(path + ":1: the floorplan holds no elements");
  return f;
}

namespace {

const Material& find_material(const Stack& s, const std::string& name, int line) {
  for (const auto& m : s.materials)
    if (m.name == name) return m;
  std::string known;
  for (const auto& m : s.materials) known += (known.empty() ? "" : ", ") + m.name;
  throw std::invalid_argument(s.path + ":" + std::to_string(line) + ": unknown material '" + name +
                              "' (defined: " + (known.empty() ? "none" : known) + ")");
}

YAML::Node flow(std::initializer_list<std::string> v) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (const auto& s : v) n.push_back(s);
  n.SetStyle(YAML::EmitterStyle::Flow);
  return n;
}

YAML::Node make_layer(const Stack& s, const std::string& name, const Layer& l,
                      std::vector<std::string>* warnings) {
  const Material& m = find_material(s, l.material, l.line);
  YAML::Node n;
  n["name"] = name;
  n["thickness_mm"] = g(l.thickness * 1e3);
  if (m.kx != m.ky) {
    throw std::invalid_argument(s.path + ":" + std::to_string(m.line) + ": material '" + m.name +
                                "' has kx = " + g(m.kx) + " != ky = " + g(m.ky) +
                                " W/(m K); heatop supports kx = ky (in-plane) with a different kz");
  }
  if (m.kx == m.kz) {
    n["k_W_per_mK"] = g(m.kx);
  } else {
    n["kxy_W_per_mK"] = g(m.kx);
    n["kz_W_per_mK"] = g(m.kz);
  }
  n["c_J_per_m3K"] = g(m.heat_capacity);
  // 3D-ICE gives each layer one cell; heatop resolves the layer with cells of <= 10 um.
  n["cells"] = std::clamp(static_cast<int>(std::ceil(l.thickness / 10e-6 - 1e-9)), 1, 10);
  (void)warnings;
  return n;
}

YAML::Node power_blocks(const Stack& s, const Floorplan& f, std::vector<std::string>* notes) {
  const double tol = 1e-9 * std::max(s.lx, s.ly);
  std::vector<std::pair<Rect, std::string>> all;
  YAML::Node list(YAML::NodeType::Sequence);
  bool multi = false;
  for (const auto& e : f.elements) {
    multi = multi || e.power.size() > 1;
    double area = 0;
    for (const auto& r : e.rects) area += r.w * r.h;
    for (const auto& r : e.rects) {
      if (r.x < -tol || r.y < -tol || r.x + r.w > s.lx + tol || r.y + r.h > s.ly + tol)
        throw std::invalid_argument(f.path + ":" + std::to_string(e.line) + ": element '" + e.name +
                                    "' at (" + g(r.x / kUm) + ", " + g(r.y / kUm) +
                                    ") um of size " + g(r.w / kUm) + " x " + g(r.h / kUm) +
                                    " um lies outside the " + g(s.lx / kUm) + " x " +
                                    g(s.ly / kUm) + " um chip");
      for (const auto& [o, oname] : all) {
        const double ox = std::min(r.x + r.w, o.x + o.w) - std::max(r.x, o.x);
        const double oy = std::min(r.y + r.h, o.y + o.h) - std::max(r.y, o.y);
        if (ox > tol && oy > tol)
          throw std::invalid_argument(f.path + ":" + std::to_string(e.line) + ": element '" +
                                      e.name + "' overlaps element '" + oname + "'");
      }
      all.push_back({r, e.name});
      YAML::Node b;
      b["name"] = e.name;
      b["x_mm"] = g(r.x * 1e3);
      b["y_mm"] = g(r.y * 1e3);
      b["w_mm"] = g(r.w * 1e3);
      b["h_mm"] = g(r.h * 1e3);
      b["power_W"] = g(e.power[0] * r.w * r.h / area);
      b.SetStyle(YAML::EmitterStyle::Flow);
      list.push_back(b);
    }
  }
  if (multi)
    notes->push_back(f.path +
                     ": elements have several power values (time slots); the steady "
                     "design uses the first one, as 3D-ICE's steady solver does");
  return list;
}

}  // namespace

ImportResult import_design(const std::string& stk_path) {
  const Stack s = read_stack(stk_path);
  ImportResult res;
  res.notes = s.notes;
  if (s.transient)  // a warning, so that `heatop solve` on this stack says so
    res.warnings.push_back(stk_path + ":" + std::to_string(s.solver_line) +
                           ": the solver section asks for a transient run (step " + g(s.step) +
                           " s, slot " + g(s.slot) +
                           " s); a steady solve uses the first power values; run `heatop "
                           "transient " +
                           fs::path(stk_path).filename().string() +
                           " -o DIR` for the temperature over the power slots");
  if (!s.top.present && !s.bottom.present)
    throw std::invalid_argument(stk_path +
                                ":1: the stack has no heat sink ('top heat sink :' or "
                                "'bottom heat sink :'); without one there is no steady state");
  if (s.non_uniform)
    res.warnings.push_back(stk_path +
                           ": 'non-uniform true': heatop uses the uniform cell size of "
                           "the dimensions section (per-element discretization is ignored)");
  for (const auto& it : s.items)
    if (it.discretization[0] > 0)
      res.warnings.push_back(stk_path + ":" + std::to_string(it.line) + ": '" + it.id +
                             "': discretization " + std::to_string(it.discretization[0]) + " x " +
                             std::to_string(it.discretization[1]) +
                             " is ignored: heatop grids every layer with the cell size of the "
                             "dimensions section");

  const double cx = s.lx / s.dx, cy = s.ly / s.dy;
  if (std::abs(cx - std::round(cx)) > 1e-6 || std::abs(cy - std::round(cy)) > 1e-6)
    res.warnings.push_back(stk_path + ": the chip is not a whole number of cells (" + g(cx) +
                           " x " + g(cy) + "); heatop rounds to " + g(std::round(cx)) + " x " +
                           g(std::round(cy)) + " cells");

  YAML::Node root;
  root["heatop"] = 1;
  root["name"] = fs::path(stk_path).stem().string();
  root["die"]["size_mm"] = flow({g(s.lx * 1e3), g(s.ly * 1e3)});
  YAML::Node layers(YAML::NodeType::Sequence);
  for (auto it = s.items.rbegin(); it != s.items.rend(); ++it) {
    if (it->kind == StackItem::kLayer) {
      const auto lt = std::find_if(s.layer_types.begin(), s.layer_types.end(),
                                   [&](const auto& p) { return p.first == it->type; });
      if (lt == s.layer_types.end())
        throw std::invalid_argument(stk_path + ":" + std::to_string(it->line) +
                                    ": unknown layer type '" + it->type + "'");
      layers.push_back(make_layer(s, it->id, lt->second, &res.warnings));
      continue;
    }
    const auto die = std::find_if(s.dies.begin(), s.dies.end(),
                                  [&](const DieType& d) { return d.name == it->type; });
    if (die == s.dies.end())
      throw std::invalid_argument(stk_path + ":" + std::to_string(it->line) +
                                  ": unknown die type '" + it->type + "'");
    Floorplan fp;
    try {
      fp = read_floorplan(it->floorplan_path);
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument(stk_path + ":" + std::to_string(it->line) + ": " + e.what());
    }
    // Die layers are written top to bottom; heatop lists bottom first.
    for (int k = static_cast<int>(die->layers.size()) - 1; k >= 0; --k) {
      const Layer& l = die->layers[k];
      const std::string name = l.source ? it->id : it->id + "_layer" + std::to_string(k);
      YAML::Node n = make_layer(s, name, l, &res.warnings);
      if (l.source) n["power_blocks"] = power_blocks(s, fp, &res.notes);
      layers.push_back(n);
    }
  }
  root["layers"] = layers;
  if (s.top.present) {
    root["top"]["type"] = "convective";
    root["top"]["h_W_per_m2K"] = g(s.top.h);
    root["top"]["T_amb_K"] = g(s.top.t_amb);
  }
  if (s.bottom.present) {
    root["bottom"]["type"] = "convective";
    root["bottom"]["h_W_per_m2K"] = g(s.bottom.h);
    root["bottom"]["T_amb_K"] = g(s.bottom.t_amb);
  }
  root["sides"]["type"] = "adiabatic";
  root["grid"]["nx"] = static_cast<int>(std::round(cx)) + 1;
  root["grid"]["ny"] = static_cast<int>(std::round(cy)) + 1;
  res.design = root;
  return res;
}

std::string design_text(const ImportResult& r, const std::string& header) {
  return io::commented_design_text(r.design, header, r.warnings, r.notes);
}

}  // namespace heatop::interop::ice3d
