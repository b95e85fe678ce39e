// gan/models/sr/upscale.h — running a super-resolution net on an image of any
// size, tile by tile, so that a large photo fits in memory.
//
// Tiles of `tile` x `tile` LR pixels step by tile - overlap, the last one in
// each direction flush with the image's edge. Where two tiles overlap, the
// output cross-fades linearly from one to the other: each tile's weight
// ramps from 0 to 1 between overlap/4 and 3 overlap/4 LR pixels from its cut
// edge (so the outer quarter of an overlap is never used); the weights are
// normalized by their sum (the last tile, flush with the edge, may overlap
// its neighbour by more than `overlap`: a plateau between the ramps). So
// every output pixel comes from tiles in which it lies at least overlap / 4
// LR pixels from a cut edge: a net whose receptive field reaches at most
// that far gives exactly the untiled result, and a wider one changes only
// by what its far field sees, spread smoothly over the cross-fade (no seam).
//
//   Tensor big = upscale(*net, lr, 4, TileOptions{256, 16});  // [N,C,4H,4W]
#pragma once
#include <cstdint>
#include <vector>

#include "nn/module.h"

namespace gantry {
namespace gan {

struct TileOptions {
  int64_t tile = 0;      // LR tile side; 0: the whole image in one pass
  int64_t overlap = 16;  // LR pixels shared by neighbouring tiles (< tile)
  // The net takes only sides that are multiples of this (RRDBNet at scale
  // 2: 2, at scale 1: 4): the image is padded (edge pixels repeated) to
  // one, the tile rounded up to one, and the output cropped back.
  int64_t multiple = 1;
};

// x [N, C, H, W] (any size) -> net(x) [N, C, H*scale, W*scale], in eval mode
// (the net's own training flag is restored afterwards) and without a graph. The net must map [N, C, h, w] to [N, C, h*scale,
// w*scale] for every tile size it is given.
Tensor upscale(nn::Module& net, const Tensor& x, int64_t scale, const TileOptions& tiles = {});

// The tiles' starts along a side of n pixels (tile, overlap as above).
std::vector<int64_t> tile_starts(int64_t n, int64_t tile, int64_t overlap);

}  // namespace gan
}  // namespace gantry
