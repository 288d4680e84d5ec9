#include "optimize/placement.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <stdexcept>

namespace heatop::optimize {

void PlacementProblem::validate() const {
  design.validate();
  if (tiles_x < 1 || tiles_y < 1)
    throw std::invalid_argument("tiles: the tile grid must be at least 1 x 1");
  if (blocks.empty()) throw std::invalid_argument("blocks: a placement problem needs blocks");
  std::map<std::string, long> area;
  for (const auto& b : blocks) {
    const std::string w = "block '" + b.name + "'";
    if (b.w < 1 || b.h < 1)
      throw std::invalid_argument(w + ": size must be at least 1 x 1 tiles, got " +
                                  std::to_string(b.w) + " x " + std::to_string(b.h));
    const bool fits = (b.w <= tiles_x && b.h <= tiles_y) ||
                      (b.rotatable && !b.fixed && b.h <= tiles_x && b.w <= tiles_y);
    if (!fits)
      throw std::invalid_argument(w + " (" + std::to_string(b.w) + " x " + std::to_string(b.h) +
                                  " tiles) is larger than the die (" + std::to_string(tiles_x) +
                                  " x " + std::to_string(tiles_y) + " tiles)");
    if (!std::isfinite(b.power) || b.power < 0)
      throw std::invalid_argument(w + ": power_W must be finite and >= 0");
    area[b.face.empty() ? power_face : b.face] += static_cast<long>(b.w) * b.h;
  }
  long blocked = 0;
  for (const auto& k : keep_out) {
    if (k.w < 1 || k.h < 1 || k.x < 0 || k.y < 0 || k.x + k.w > tiles_x || k.y + k.h > tiles_y)
      throw std::invalid_argument("keep_out zone at tile (" + std::to_string(k.x) + ", " +
                                  std::to_string(k.y) + ") must lie inside the die");
    blocked += static_cast<long>(k.w) * k.h;
  }
  for (const auto& [face, a] : area)
    if (a > static_cast<long>(tiles_x) * tiles_y - blocked)
      throw std::invalid_argument("the blocks" + (area.size() > 1 ? " on " + face : std::string()) +
                                  " cover " + std::to_string(a) + " tiles but the die has only " +
                                  std::to_string(static_cast<long>(tiles_x) * tiles_y - blocked) +
                                  " free tiles");
  for (std::size_t a = 0; a < blocks.size(); ++a) {
    if (!blocks[a].fixed) continue;
    const TileRect ra{blocks[a].at_x, blocks[a].at_y, blocks[a].w, blocks[a].h};
    if (ra.x < 0 || ra.y < 0 || ra.x + ra.w > tiles_x || ra.y + ra.h > tiles_y)
      throw std::invalid_argument("fixed block '" + blocks[a].name + "' lies outside the die");
    for (const auto& k : keep_out)
      if (ra.overlaps(k))
        throw std::invalid_argument("fixed block '" + blocks[a].name +
                                    "' overlaps a keep-out zone");
    for (std::size_t b = a + 1; b < blocks.size(); ++b) {
      if (!blocks[b].fixed || face_of(a) != face_of(b)) continue;
      const TileRect rb{blocks[b].at_x, blocks[b].at_y, blocks[b].w, blocks[b].h};
      if (ra.overlaps(rb))
        throw std::invalid_argument("fixed blocks '" + blocks[a].name + "' and '" + blocks[b].name +
                                    "' overlap");
    }
  }
}

const std::string& PlacementProblem::face_of(std::size_t b) const {
  return blocks[b].face.empty() ? power_face : blocks[b].face;
}

std::vector<std::string> PlacementProblem::faces() const {
  std::vector<std::string> f;
  for (std::size_t b = 0; b < blocks.size(); ++b)
    if (std::find(f.begin(), f.end(), face_of(b)) == f.end()) f.push_back(face_of(b));
  return f;
}

TileRect PlacementProblem::rect(const Placement& p, std::size_t b) const {
  const auto& s = blocks[b];
  return p.rotated[b] ? TileRect{p.x[b], p.y[b], s.h, s.w} : TileRect{p.x[b], p.y[b], s.w, s.h};
}

bool PlacementProblem::feasible(const Placement& p, std::string* why) const {
  auto fail = [&](const std::string& m) {
    if (why) *why = m;
    return false;
  };
  if (p.x.size() != blocks.size() || p.y.size() != blocks.size() ||
      p.rotated.size() != blocks.size())
    return fail("placement size does not match the blocks");
  for (std::size_t a = 0; a < blocks.size(); ++a) {
    const TileRect r = rect(p, a);
    if (r.x < 0 || r.y < 0 || r.x + r.w > tiles_x || r.y + r.h > tiles_y)
      return fail("block '" + blocks[a].name + "' leaves the die");
    if (blocks[a].fixed && (p.x[a] != blocks[a].at_x || p.y[a] != blocks[a].at_y || p.rotated[a]))
      return fail("fixed block '" + blocks[a].name + "' moved");
    if (p.rotated[a] && !blocks[a].rotatable) return fail("block '" + blocks[a].name + "' rotated");
    for (const auto& k : keep_out)
      if (r.overlaps(k)) return fail("block '" + blocks[a].name + "' in a keep-out zone");
    for (std::size_t b = a + 1; b < blocks.size(); ++b)
      if (face_of(a) == face_of(b) && r.overlaps(rect(p, b)))
        return fail("blocks '" + blocks[a].name + "' and '" + blocks[b].name + "' overlap");
  }
  return true;
}

Placement PlacementProblem::corner_packed() const {
  Placement p;
  const std::size_t n = blocks.size();
  p.x.assign(n, 0);
  p.y.assign(n, 0);
  p.rotated.assign(n, 0);
  for (std::size_t b = 0; b < n; ++b)
    if (blocks[b].fixed) {
      p.x[b] = blocks[b].at_x;
      p.y[b] = blocks[b].at_y;
    }
  // Shelf packing from (0, 0): left to right, next shelf above the tallest block so far; a
  // block that does not fit a free spot is placed by scanning for the first feasible tile.
  // One shelf state per face: blocks of different faces do not compete for tiles.
  std::map<std::string, std::array<int, 3>> shelves;
  for (std::size_t b = 0; b < n; ++b) {
    if (blocks[b].fixed) continue;
    auto& [cx, cy, shelf] = shelves[face_of(b)];
    auto clash = [&](std::size_t o, const TileRect& r) {
      return face_of(o) == face_of(b) && r.overlaps(rect(p, o));
    };
    bool placed = false;
    for (int attempt = 0; attempt < 2 && !placed; ++attempt) {
      if (cx + blocks[b].w > tiles_x) {
        cx = 0;
        cy += shelf;
        shelf = 0;
      }
      p.x[b] = cx;
      p.y[b] = cy;
      Placement trial = p;
      bool ok = true;
      const TileRect r = rect(trial, b);
      if (r.x + r.w > tiles_x || r.y + r.h > tiles_y) ok = false;
      for (std::size_t o = 0; ok && o < b; ++o)
        if (clash(o, r)) ok = false;
      for (std::size_t o = b + 1; ok && o < n; ++o)
        if (blocks[o].fixed && clash(o, r)) ok = false;
      for (const auto& k : keep_out)
        if (ok && r.overlaps(k)) ok = false;
      if (ok) {
        placed = true;
        cx += blocks[b].w;
        shelf = std::max(shelf, blocks[b].h);
      } else {
        cx = tiles_x;  // force a new shelf on the next attempt
      }
    }
    if (!placed) {  // first-fit scan
      for (int y = 0; y < tiles_y && !placed; ++y)
        for (int x = 0; x < tiles_x && !placed; ++x) {
          p.x[b] = x;
          p.y[b] = y;
          const TileRect r = rect(p, b);
          bool ok = r.x + r.w <= tiles_x && r.y + r.h <= tiles_y;
          for (std::size_t o = 0; ok && o < n; ++o)
            if (o != b && (o < b || blocks[o].fixed) && clash(o, r)) ok = false;
          for (const auto& k : keep_out)
            if (ok && r.overlaps(k)) ok = false;
          placed = ok;
        }
    }
    if (!placed)
      throw std::invalid_argument("cannot find a starting place for block '" + blocks[b].name +
                                  "': the die is too crowded");
  }
  return p;
}

model::PowerMap PlacementProblem::power_map(const Placement& p, const std::string& face) const {
  model::PowerMap m;
  m.rows = tiles_y;
  m.cols = tiles_x;
  m.tile_watts.assign(static_cast<std::size_t>(tiles_x) * tiles_y, 0.0);
  m.source = "placement";
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    if (!face.empty() && face_of(b) != face) continue;
    const TileRect r = rect(p, b);
    const double per_tile = blocks[b].power / (r.w * r.h);
    for (int y = r.y; y < r.y + r.h; ++y)
      for (int x = r.x; x < r.x + r.w; ++x)
        m.tile_watts[static_cast<std::size_t>(y) * tiles_x + x] += per_tile;
  }
  return m;
}

model::Design PlacementProblem::design_for(const Placement& p) const {
  model::Design d = design;
  for (const std::string& face : faces()) {
    const model::PowerMap m = power_map(p, face);
    if (face == "top" || face == "bottom") {
      auto& f = d.faces[face == "top" ? model::kTop : model::kBottom];
      f.type = model::BcType::kPower;
      f.power = m;
    } else {
      for (auto& l : d.layers)
        if (l.name == face) l.power = m;
    }
  }
  return d;
}

bool random_neighbour(const PlacementProblem& prob, const Placement& from, std::mt19937_64& rng,
                      Placement* out) {
  std::vector<std::size_t> movable;
  for (std::size_t b = 0; b < prob.blocks.size(); ++b)
    if (!prob.blocks[b].fixed) movable.push_back(b);
  if (movable.empty()) return false;
  std::uniform_int_distribution<std::size_t> pick(0, movable.size() - 1);
  std::uniform_int_distribution<int> kind(0, 9), step(-2, 2);
  for (int attempt = 0; attempt < 200; ++attempt) {
    Placement p = from;
    const std::size_t b = movable[pick(rng)];
    const int k = kind(rng);
    if (k < 5) {  // short shift
      p.x[b] += step(rng);
      p.y[b] += step(rng);
    } else if (k < 8) {  // jump anywhere
      std::uniform_int_distribution<int> ux(0, prob.tiles_x - 1), uy(0, prob.tiles_y - 1);
      p.x[b] = ux(rng);
      p.y[b] = uy(rng);
    } else if (k == 8 && movable.size() > 1) {  // swap two blocks' positions
      const std::size_t c = movable[pick(rng)];
      std::swap(p.x[b], p.x[c]);
      std::swap(p.y[b], p.y[c]);
    } else if (prob.blocks[b].rotatable) {
      p.rotated[b] = !p.rotated[b];
    }
    if (prob.feasible(p)) {
      *out = std::move(p);
      return true;
    }
  }
  return false;
}

}  // namespace heatop::optimize
