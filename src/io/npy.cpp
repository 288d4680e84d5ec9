#include "io/npy.hpp"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>

namespace heatop::io {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;
constexpr std::size_t kAlign = 64;

std::runtime_error npy_error(const std::string& path, const std::string& what) {
  return std::runtime_error("npy file '" + path + "': " + what);
}

std::size_t product(const std::vector<std::size_t>& shape, const std::string& path) {
  std::size_t n = 1;
  for (std::size_t s : shape) {
    if (s != 0 && n > std::numeric_limits<std::size_t>::max() / s)
      throw npy_error(path, "shape is too large");
    n *= s;
  }
  return n;
}

std::string shape_literal(const std::vector<std::size_t>& shape) {
  std::string s = "(";
  for (std::size_t n = 0; n < shape.size(); ++n) {
    if (n) s += ", ";
    s += std::to_string(shape[n]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

// The header is a Python dict literal such as
//   {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
// This parser understands exactly the literals that appear there: strings, True/False and
// tuples of integers.
struct Header {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::size_t> shape;
  bool has_descr = false, has_order = false, has_shape = false;
};

class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  Header parse() {
    Header h;
    expect('{');
    while (true) {
      skip_ws();
      if (peek() == '}') break;
      const std::string key = parse_string();
      expect(':');
      if (key == "descr") {
        h.descr = parse_string();
        h.has_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = parse_bool();
        h.has_order = true;
      } else if (key == "shape") {
        h.shape = parse_tuple();
        h.has_shape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      skip_ws();
      if (peek() == ',') ++pos_;
    }
    if (!h.has_descr || !h.has_order || !h.has_shape)
      fail("the header must hold 'descr', 'fortran_order' and 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw npy_error(path_, "malformed header (" + what + "): " + s_);
  }
  void skip_ws() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void expect(char c) {
    skip_ws();
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string parse_string() {
    skip_ws();
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    const std::size_t end = s_.find(q, pos_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string out = s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return out;
  }
  bool parse_bool() {
    skip_ws();
    if (s_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (s_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    fail("fortran_order must be True or False");
  }
  std::vector<std::size_t> parse_tuple() {
    std::vector<std::size_t> out;
    expect('(');
    while (true) {
      skip_ws();
      if (peek() == ')') {
        ++pos_;
        return out;
      }
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("shape must hold integers");
      std::size_t v = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        const std::size_t d = static_cast<std::size_t>(s_[pos_++] - '0');
        if (v > (std::numeric_limits<std::size_t>::max() - d) / 10) fail("dimension too large");
        v = v * 10 + d;
      }
      if (peek() == 'L') ++pos_;  // Python 2 long literal
      out.push_back(v);
      skip_ws();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != ')') {
        fail("expected ',' or ')' in shape");
      }
    }
  }

  const std::string& s_;
  const std::string& path_;
  std::size_t pos_ = 0;
};

std::uint64_t load_le(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int b = bytes - 1; b >= 0; --b) v = (v << 8) | p[b];
  return v;
}

double decode(const unsigned char* p, char kind, int bytes) {
  const std::uint64_t bits = load_le(p, bytes);
  if (kind == 'f' && bytes == 8) {
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  if (kind == 'f') {
    const auto b32 = static_cast<std::uint32_t>(bits);
    float f;
    std::memcpy(&f, &b32, sizeof f);
    return f;
  }
  if (bytes == 8) return static_cast<double>(static_cast<std::int64_t>(bits));
  return static_cast<double>(static_cast<std::int32_t>(static_cast<std::uint32_t>(bits)));
}

// Reorders Fortran-order (first index fastest) values into C order (last index fastest).
std::vector<double> fortran_to_c(const std::vector<double>& f,
                                 const std::vector<std::size_t>& shape) {
  std::vector<double> c(f.size());
  if (f.empty()) return c;
  const std::size_t d = shape.size();
  std::vector<std::size_t> stride(d, 1), idx(d, 0);
  for (std::size_t a = 1; a < d; ++a) stride[a] = stride[a - 1] * shape[a - 1];
  std::size_t off = 0;  // Fortran offset of the current C-order multi-index
  for (std::size_t n = 0; n < c.size(); ++n) {
    c[n] = f[off];
    for (std::size_t a = d; a-- > 0;) {  // odometer, last index fastest
      if (++idx[a] < shape[a]) {
        off += stride[a];
        break;
      }
      off -= (shape[a] - 1) * stride[a];
      idx[a] = 0;
    }
  }
  return c;
}

}  // namespace

void write_npy(const std::string& path, const std::vector<std::size_t>& shape,
               const std::vector<double>& data) {
  const std::size_t n = product(shape, path);
  if (n != data.size())
    throw std::invalid_argument("npy file '" + path + "': shape " + shape_literal(shape) +
                                " holds " + std::to_string(n) + " values but " +
                                std::to_string(data.size()) + " were given");
  const std::string head = npy_header(shape);
  std::ofstream out(path, std::ios::binary);
  if (!out) throw npy_error(path, "cannot open for writing");
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  const std::uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  if (first == 1) {  // little-endian host: the values are already '<f8'
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(8 * n));
  } else {
    std::vector<unsigned char> bytes(8 * n);
    for (std::size_t v = 0; v < n; ++v) {
      std::uint64_t bits;
      std::memcpy(&bits, &data[v], sizeof bits);
      for (int b = 0; b < 8; ++b) bytes[8 * v + b] = static_cast<unsigned char>(bits >> (8 * b));
    }
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  out.close();
  if (!out) throw npy_error(path, "write failed (disk full or no permission?)");
}

namespace {

// Where a .npy file's values are and how to read them.
struct Layout {
  std::vector<std::size_t> shape;
  char kind = 'f';
  int bytes = 8;
  bool fortran = false;
  std::size_t offset = 0;  // of the first value
  std::size_t n = 0;       // values
};

// Reads and checks the header of the open file `in` of `size` bytes.
Layout read_layout(std::ifstream& in, std::size_t size, const std::string& path) {
  unsigned char lead[kMagicLen + 6] = {};
  in.read(reinterpret_cast<char*>(lead), sizeof lead);
  const std::size_t got = static_cast<std::size_t>(in.gcount());
  if (got < kMagicLen + 4 || std::memcmp(lead, kMagic, kMagicLen) != 0)
    throw npy_error(path, "not a .npy file (bad magic string; expected \\x93NUMPY)");
  const int major = lead[kMagicLen];
  if (major < 1 || major > 3)
    throw npy_error(path, "unsupported format version " + std::to_string(major) + "." +
                              std::to_string(lead[kMagicLen + 1]) + " (supported: 1.0, 2.0, 3.0)");
  const int len_bytes = major == 1 ? 2 : 4;
  const std::size_t prefix = kMagicLen + 2 + len_bytes;
  if (got < prefix) throw npy_error(path, "truncated header");
  const std::size_t header_len = load_le(&lead[kMagicLen + 2], len_bytes);
  if (size < prefix + header_len)
    throw npy_error(path, "truncated header: it declares " + std::to_string(header_len) +
                              " bytes but the file holds " + std::to_string(size - prefix));
  std::string text(header_len, ' ');
  in.clear();
  in.seekg(static_cast<std::streamoff>(prefix));
  in.read(text.data(), static_cast<std::streamsize>(header_len));
  const Header h = HeaderParser(text, path).parse();

  const std::string& d = h.descr;
  const bool ok = d.size() == 3 && (d[0] == '<' || d[0] == '|') &&
                  ((d[1] == 'f' && (d[2] == '8' || d[2] == '4')) ||
                   (d[1] == 'i' && (d[2] == '8' || d[2] == '4')));
  if (!ok)
    throw npy_error(path, "unsupported dtype '" + d +
                              "'; supported: '<f8', '<f4', '<i4', '<i8' (convert with "
                              "array.astype('<f8'))");
  Layout l;
  l.kind = d[1];
  l.bytes = d[2] - '0';
  l.shape = h.shape;
  l.fortran = h.fortran_order && h.shape.size() > 1;
  l.offset = prefix + header_len;
  l.n = product(l.shape, path);
  const std::size_t have = size - l.offset;
  if (l.n > have / static_cast<std::size_t>(l.bytes))
    throw npy_error(path, "truncated data: shape " + shape_literal(l.shape) + " of '" + d +
                              "' needs " + std::to_string(l.n * l.bytes) + " bytes, found " +
                              std::to_string(have));
  return l;
}

std::ifstream open_npy(const std::string& path, std::size_t* size) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw npy_error(path, "file not found or not readable");
  *size = static_cast<std::size_t>(in.tellg());
  in.seekg(0);
  return in;
}

}  // namespace

NpyArray read_npy(const std::string& path) {
  std::size_t size = 0;
  std::ifstream in = open_npy(path, &size);
  const Layout l = read_layout(in, size, path);
  std::vector<unsigned char> buf(l.n * l.bytes);
  in.seekg(static_cast<std::streamoff>(l.offset));
  in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
  if (static_cast<std::size_t>(in.gcount()) != buf.size()) throw npy_error(path, "read failed");
  NpyArray a;
  a.shape = l.shape;
  a.data.resize(l.n);
  for (std::size_t v = 0; v < l.n; ++v) a.data[v] = decode(&buf[v * l.bytes], l.kind, l.bytes);
  if (l.fortran) a.data = fortran_to_c(a.data, a.shape);
  return a;
}

std::vector<double> read_npy_at(const std::string& path, const std::vector<std::size_t>& at,
                                std::vector<std::size_t>* shape) {
  std::size_t size = 0;
  std::ifstream in = open_npy(path, &size);
  const Layout l = read_layout(in, size, path);
  if (shape) *shape = l.shape;
  std::vector<double> out;
  out.reserve(at.size());
  unsigned char b[8];
  for (std::size_t c : at) {
    if (c >= l.n)
      throw npy_error(path, "index " + std::to_string(c) + " is outside its " +
                                std::to_string(l.n) + " values");
    std::size_t f = c;
    if (l.fortran) {  // C-order index to the file's Fortran order
      f = 0;
      std::size_t stride = 1, rest = c;
      std::vector<std::size_t> idx(l.shape.size());
      for (std::size_t d = l.shape.size(); d-- > 0;) {
        idx[d] = rest % l.shape[d];
        rest /= l.shape[d];
      }
      for (std::size_t d = 0; d < l.shape.size(); ++d) {
        f += idx[d] * stride;
        stride *= l.shape[d];
      }
    }
    in.seekg(static_cast<std::streamoff>(l.offset + f * l.bytes));
    in.read(reinterpret_cast<char*>(b), l.bytes);
    if (in.gcount() != l.bytes) throw npy_error(path, "read failed");
    out.push_back(decode(b, l.kind, l.bytes));
  }
  return out;
}

std::string npy_header(const std::vector<std::size_t>& shape) {
  std::string dict =
      "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape_literal(shape) + ", }";
  // Version 1.0 stores the header length in 2 bytes, 2.0 in 4.
  int major = 1;
  std::size_t prefix = kMagicLen + 2 + 2;
  std::size_t total = (prefix + dict.size() + 1 + kAlign - 1) / kAlign * kAlign;
  if (total - prefix > 0xffff) {
    major = 2;
    prefix = kMagicLen + 2 + 4;
    total = (prefix + dict.size() + 1 + kAlign - 1) / kAlign * kAlign;
  }
  const std::size_t header_len = total - prefix;
  dict.append(header_len - dict.size() - 1, ' ');
  dict.push_back('\n');
  std::string head(kMagic, kMagicLen);
  head.push_back(static_cast<char>(major));
  head.push_back(0);
  for (int b = 0; b < (major == 1 ? 2 : 4); ++b)
    head.push_back(static_cast<char>((header_len >> (8 * b)) & 0xff));
  return head + dict;
}

}  // namespace heatop::io
