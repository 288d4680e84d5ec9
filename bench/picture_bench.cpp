// Times plot::write_heatmap_png on a 101 x 101 field, one picture after another in a fresh
// process: the first picture pays the font's start-up, the later ones do not (bench/README.md,
// "Interleaved line solves and the pictures' font"). Not a test.
//
// usage: heatop_bench_picture [PICTURES] [FOLDER]   (default 2 pictures into /tmp)

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "plot/png_plot.hpp"

int main(int argc, char** argv) {
  const int pictures = argc > 1 ? std::atoi(argv[1]) : 2;
  const std::string folder = argc > 2 ? argv[2] : "/tmp";
  if (pictures < 1) {
    std::fprintf(stderr, "heatop_bench_picture: PICTURES must be a positive integer\n");
    return 2;
  }
  const int n = 101;
  std::vector<double> x(n), y(n), v(static_cast<std::size_t>(n) * n);
  for (int i = 0; i < n; ++i) x[i] = y[i] = i * 1e-5;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      v[static_cast<std::size_t>(i) * n + j] = 300 + 10 * std::sin(0.1 * i) * std::cos(0.07 * j);
  heatop::plot::HeatmapOptions o;
  o.title = "heat map timing";
  for (int p = 0; p < pictures; ++p) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string path = folder + "/heatop_bench_picture_" + std::to_string(p) + ".png";
    heatop::plot::write_heatmap_png(path, x, y, v, o);
    std::printf(
        "picture %d: %.1f ms\n", p + 1,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return 0;
}
