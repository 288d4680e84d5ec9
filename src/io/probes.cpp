#include "io/probes.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "io/text_util.hpp"

namespace heatop::io {

namespace {

using text::lower;
using text::parse_double;
using text::split_csv;
using text::trim;

constexpr double kMPerMm = 1e-3;
constexpr double kDomainSlack = 1e-9;

std::string where(const std::string& path, int line) {
  return "probe file '" + path + "', line " + std::to_string(line);
}

std::string fmt_mm(double m) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", m / kMPerMm);
  return buf;
}

// Locates v on the increasing axis: cell index lo and weight t of node lo + 1.
void locate(const std::vector<double>& a, double v, const char* name, std::size_t* lo, double* t,
            const std::string& field_name, double x, double y, double z) {
  const double slack = kDomainSlack * std::max(a.back() - a.front(), std::abs(a.front()));
  if (!(v >= a.front() - slack && v <= a.back() + slack)) {
    throw std::invalid_argument("probe at (" + fmt_mm(x) + ", " + fmt_mm(y) + ", " + fmt_mm(z) +
                                ") mm lies outside the " + "domain of field '" + field_name +
                                "': " + name + " must be in [" + fmt_mm(a.front()) + ", " +
                                fmt_mm(a.back()) + "] mm");
  }
  if (a.size() == 1) {
    *lo = 0;
    *t = 0;
    return;
  }
  v = std::clamp(v, a.front(), a.back());
  const auto it = std::upper_bound(a.begin(), a.end(), v);
  std::size_t i = static_cast<std::size_t>(it - a.begin());
  i = std::clamp<std::size_t>(i, 1, a.size() - 1) - 1;
  *lo = i;
  *t = (v - a[i]) / (a[i + 1] - a[i]);
}

}  // namespace

std::vector<Probe> read_probes_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("probe file not found or not readable: " + path);
  std::vector<Probe> probes;
  std::string raw;
  int line = 0;
  bool first = true;
  int col[3] = {0, 1, 2};
  std::size_t ncols = 3;
  while (std::getline(in, raw)) {
    ++line;
    const std::string s = trim(raw);
    if (s.empty() || s[0] == '#') continue;
    const std::vector<std::string> cells = split_csv(s);
    if (first) {
      first = false;
      double dummy;
      // A header has no numeric cell; a data line with a typo still has some.
      const bool header = std::none_of(cells.begin(), cells.end(), [&](const std::string& c) {
        return parse_double(c, &dummy);
      });
      if (header) {
        const char* want[3] = {"x_mm", "y_mm", "z_mm"};
        for (int a = 0; a < 3; ++a) {
          col[a] = -1;
          for (std::size_t c = 0; c < cells.size(); ++c)
            if (lower(cells[c]) == want[a]) col[a] = static_cast<int>(c);
          if (col[a] < 0)
            throw std::runtime_error(where(path, line) + ": the header '" + s +
                                     "' has no column '" + want[a] +
                                     "'; name the columns x_mm, y_mm, z_mm or omit the header "
                                     "and give three numbers per line");
        }
        ncols = cells.size();
        continue;
      }
    }
    if (cells.size() != ncols)
      throw std::invalid_argument(where(path, line) + ": expected " + std::to_string(ncols) +
                                  " columns, found " + std::to_string(cells.size()));
    double v[3];
    for (int a = 0; a < 3; ++a) {
      const std::string& c = cells[static_cast<std::size_t>(col[a])];
      if (!parse_double(c, &v[a]))
        throw std::invalid_argument(where(path, line) + ": '" + c + "' is not a number");
      if (!std::isfinite(v[a]))
        throw std::invalid_argument(where(path, line) + ": '" + c + "' is not a finite coordinate");
    }
    probes.push_back({v[0] * kMPerMm, v[1] * kMPerMm, v[2] * kMPerMm});
  }
  return probes;
}

double interpolate_trilinear(const Field3D& f, double x, double y, double z) {
  if (f.x.empty() || f.y.empty() || f.z.empty() || f.values.size() != f.nx() * f.ny() * f.nz())
    throw std::invalid_argument("interpolate_trilinear: field '" + f.name +
                                "' has an empty grid or a values size that does not match it");
  std::size_t i, j, k;
  double tx, ty, tz;
  locate(f.x, x, "x", &i, &tx, f.name, x, y, z);
  locate(f.y, y, "y", &j, &ty, f.name, x, y, z);
  locate(f.z, z, "z", &k, &tz, f.name, x, y, z);
  // Corner weights; an axis with one node has weight 0 on the (absent) upper node.
  double sum = 0;
  for (int di = 0; di < 2; ++di) {
    const double wx = di ? tx : 1 - tx;
    if (wx == 0) continue;
    for (int dj = 0; dj < 2; ++dj) {
      const double wy = dj ? ty : 1 - ty;
      if (wy == 0) continue;
      for (int dk = 0; dk < 2; ++dk) {
        const double wz = dk ? tz : 1 - tz;
        if (wz == 0) continue;
        sum += wx * wy * wz * f.at(i + di, j + dj, k + dk);
      }
    }
  }
  return sum;
}

std::array<std::size_t, 2> probe_columns(const std::vector<double>& x, const std::vector<double>& y,
                                         const std::vector<double>& z,
                                         const std::string& field_name, const Probe& p) {
  std::size_t i, j, k;
  double t;
  locate(x, p.x_m, "x", &i, &t, field_name, p.x_m, p.y_m, p.z_m);
  locate(y, p.y_m, "y", &j, &t, field_name, p.x_m, p.y_m, p.z_m);
  locate(z, p.z_m, "z", &k, &t, field_name, p.x_m, p.y_m, p.z_m);
  return {i, j};
}

void write_probes_csv(const std::string& path, const std::vector<Probe>& probes,
                      const std::vector<double>& t) {
  if (probes.size() != t.size())
    throw std::invalid_argument("probe output '" + path + "': " + std::to_string(probes.size()) +
                                " probes but " + std::to_string(t.size()) + " values");
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (!out) throw std::runtime_error("probe output '" + path + "': cannot open for writing");
  std::fprintf(out, "x_mm,y_mm,z_mm,T_K\n");
  for (std::size_t n = 0; n < probes.size(); ++n) {
    const Probe& p = probes[n];
    std::fprintf(out, "%.6f,%.6f,%.6f,%.6f\n", p.x_m / kMPerMm, p.y_m / kMPerMm, p.z_m / kMPerMm,
                 t[n]);
  }
  const bool failed = std::ferror(out) != 0;
  if (std::fclose(out) != 0 || failed)
    throw std::runtime_error("probe output '" + path + "': write failed");
}

}  // namespace heatop::io
