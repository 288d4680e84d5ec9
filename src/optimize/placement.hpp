#pragma once
// Placement problems (case C3, docs/placement-file.md): rectangular heat sources on a tile grid
// over a die, some movable, optionally rotatable by 90 degrees, with keep-out zones. A placement
// is the lower-left tile of every block plus its rotation.

#include <random>
#include <string>
#include <vector>

#include "model/design.hpp"

namespace heatop::optimize {

struct BlockSpec {
  std::string name;
  std::string face;    // where its power enters: "top", "bottom" or a layer name (a die)
  int w = 1, h = 1;    // size in tiles (unrotated)
  double power = 0;    // W, spread uniformly over the block's tiles
  bool fixed = false;  // fixed blocks keep `at`
  bool rotatable = true;
  int at_x = -1, at_y = -1;  // lower-left tile of a fixed block
};

struct TileRect {
  int x = 0, y = 0, w = 0, h = 0;
  bool overlaps(const TileRect& o) const {
    return x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + h;
  }
};

struct Placement {
  std::vector<int> x, y;      // lower-left tile per block
  std::vector<char> rotated;  // 1 = rotated by 90 degrees (w and h swapped)
};

struct PlacementProblem {
  std::string name = "placement";
  model::Design design;            // chip and stack; the blocks' power enters through `power_face`
  std::string power_face = "top";  // "top", "bottom" or a layer name (volumetric): the default
                                   // of blocks[i].face
  int tiles_x = 20, tiles_y = 20;  // tile grid over the die
  std::vector<BlockSpec> blocks;
  std::vector<TileRect> keep_out;

  /// Throws std::invalid_argument for blocks larger than the die, overlapping fixed blocks,
  /// total block area larger than the free die area, bad power or sizes.
  void validate() const;
  TileRect rect(const Placement& p, std::size_t b) const;
  /// Inside the die, no overlap, outside keep-out zones, fixed blocks at their place.
  bool feasible(const Placement& p, std::string* why = nullptr) const;
  /// The naive start: fixed blocks in place, movable blocks packed in rows from tile (0, 0).
  Placement corner_packed() const;
  /// Block b's power face (its own, or power_face).
  const std::string& face_of(std::size_t b) const;
  /// The distinct power faces of the blocks, in block order. Blocks on different faces (two
  /// dies of a stack) never overlap one another; keep-out zones hold on every face.
  std::vector<std::string> faces() const;
  /// The tile power map (W per tile, rows = y) of the placement's blocks on `face` (all blocks
  /// when face is empty).
  model::PowerMap power_map(const Placement& p, const std::string& face = {}) const;
  /// The design with each face's blocks' power applied on that face (replacing its own).
  model::Design design_for(const Placement& p) const;
};

/// A random feasible neighbour: move one movable block (a short shift or a jump), swap two
/// blocks' positions, or rotate one. Returns false if no feasible move was found.
bool random_neighbour(const PlacementProblem& prob, const Placement& from, std::mt19937_64& rng,
                      Placement* out);

}  // namespace heatop::optimize
