//! The encoder's arithmetic: the product of token vectors with an 8-bit
//! weight matrix, and dot products, written so that the compiler vectorises
//! them, with an AVX2/FMA build of the same code chosen at run time on CPUs
//! that have it (the binary itself targets plain x86-64).
//!
//! Why by hand: a general matrix library packs the whole weight matrix on
//! every call, and a sentence is a product of a dozen rows with 42 MB of
//! weights; here each weight row is read once, as 8-bit integers (a quarter
//! of the memory traffic of `f32`), widened once, and used for every token.

/// Lanes of independent sums in a dot product: two AVX registers of running
/// sums, so that the sum is not one long chain of additions. (Measured: 32
/// lanes, or four tokens per weight row, were slower on this machine.)
const LANES: usize = 16;

#[inline(always)]
fn dot_lanes<const FMA: bool>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let main = n - n % LANES;
    let mut acc = [0.0f32; LANES];
    for (ca, cb) in a[..main]
        .chunks_exact(LANES)
        .zip(b[..main].chunks_exact(LANES))
    {
        for i in 0..LANES {
            acc[i] = if FMA {
                ca[i].mul_add(cb[i], acc[i])
            } else {
                acc[i] + ca[i] * cb[i]
            };
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in a[main..n].iter().zip(&b[main..n]) {
        sum += x * y;
    }
    sum
}

/// Outputs computed together: the weights are stored in tiles of this many
/// output rows, column by column, so that one widened column of a tile meets
/// a whole block of tokens with no horizontal sums (one AVX-512 register, or
/// two AVX ones, of running sums per token).
const TILE: usize = 16;

/// `y = x Wᵀ + b` for a row-major `x` of tokens × `inputs`, `W` in 8 bits.
pub(crate) struct Linear {
    /// `W` in tiles of [`TILE`] output rows; within a tile, input by input,
    /// the tile's [`TILE`] values (rows past `outputs` are zero).
    tiles: Vec<i8>,
    /// One per output row: the weight is `scale × value`.
    scales: Vec<f32>,
    bias: Vec<f32>,
    inputs: usize,
}

impl Linear {
    /// From `outputs × inputs` row-major values, as the model stores them.
    pub(crate) fn new(weight: &[i8], scales: Vec<f32>, bias: Vec<f32>, inputs: usize) -> Linear {
        let outputs = scales.len();
        assert_eq!(weight.len(), outputs * inputs, "a weight for every input");
        assert_eq!(bias.len(), outputs, "a bias for every output");
        let tile_count = outputs.div_ceil(TILE);
        let mut tiles = vec![0i8; tile_count * inputs * TILE];
        for (o, row) in weight.chunks_exact(inputs.max(1)).enumerate() {
            let tile = &mut tiles[(o / TILE) * inputs * TILE..];
            for (k, &value) in row.iter().enumerate() {
                tile[k * TILE + o % TILE] = value;
            }
        }
        Linear {
            tiles,
            scales,
            bias,
            inputs,
        }
    }

    /// `out[r][o] = bias[o] + scales[o] × Σₖ x[r][k] × weight[o][k]`; the
    /// AVX-512 or AVX2 build where the CPU has it.
    pub(crate) fn apply(&self, x: &[f32], out: &mut Vec<f32>) {
        debug_assert_eq!(x.len() % self.inputs.max(1), 0);
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: the CPU has AVX-512F and FMA, checked just above.
                return unsafe { self.apply_avx512(x, out) };
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: the CPU has AVX2 and FMA, checked just above.
                return unsafe { self.apply_avx2(x, out) };
            }
        }
        self.apply_with::<false, 4>(x, out);
    }

    /// 32 registers: eight tokens of sums at a time.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,fma")]
    fn apply_avx512(&self, x: &[f32], out: &mut Vec<f32>) {
        self.apply_with::<true, 8>(x, out);
    }

    /// 16 registers: four tokens of sums (eight registers) at a time.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn apply_avx2(&self, x: &[f32], out: &mut Vec<f32>) {
        self.apply_with::<true, 4>(x, out);
    }

    #[inline(always)]
    fn apply_with<const FMA: bool, const BLOCK: usize>(&self, x: &[f32], out: &mut Vec<f32>) {
        let inputs = self.inputs;
        let outputs = self.scales.len();
        let rows = x.len().checked_div(inputs).unwrap_or(0);
        out.clear();
        out.resize(rows * outputs, 0.0);
        if inputs == 0 {
            for row in out.chunks_exact_mut(outputs.max(1)) {
                row.copy_from_slice(&self.bias);
            }
            return;
        }
        for (t, tile) in self.tiles.chunks_exact(inputs * TILE).enumerate() {
            let mut first = 0;
            while rows - first >= BLOCK {
                self.tile_block::<FMA, BLOCK>(tile, t * TILE, x, first, out);
                first += BLOCK;
            }
            // The last few tokens in halving blocks: one token at a time would
            // widen the tile's weights once per token.
            if rows - first >= 4 && BLOCK > 4 {
                self.tile_block::<FMA, 4>(tile, t * TILE, x, first, out);
                first += 4;
            }
            if rows - first >= 2 && BLOCK > 2 {
                self.tile_block::<FMA, 2>(tile, t * TILE, x, first, out);
                first += 2;
            }
            while first < rows {
                self.tile_block::<FMA, 1>(tile, t * TILE, x, first, out);
                first += 1;
            }
        }
    }

    /// One tile of outputs for the tokens `first..first + TOKENS`.
    #[inline(always)]
    fn tile_block<const FMA: bool, const TOKENS: usize>(
        &self,
        tile: &[i8],
        first_output: usize,
        x: &[f32],
        first: usize,
        out: &mut [f32],
    ) {
        let inputs = self.inputs;
        let tokens: [&[f32]; TOKENS] =
            std::array::from_fn(|i| &x[(first + i) * inputs..(first + i + 1) * inputs]);
        let mut sums = [[0.0f32; TILE]; TOKENS];
        for (k, column) in tile.chunks_exact(TILE).enumerate() {
            let mut widened = [0.0f32; TILE];
            for (w, &q) in widened.iter_mut().zip(column) {
                *w = f32::from(q);
            }
            for (sum, token) in sums.iter_mut().zip(&tokens) {
                let value = token[k];
                for (s, &w) in sum.iter_mut().zip(&widened) {
                    *s = if FMA {
                        value.mul_add(w, *s)
                    } else {
                        *s + value * w
                    };
                }
            }
        }
        let outputs = self.scales.len();
        let width = TILE.min(outputs - first_output);
        let scales = &self.scales[first_output..first_output + width];
        let bias = &self.bias[first_output..first_output + width];
        for (i, sum) in sums.iter().enumerate() {
            let row = &mut out[(first + i) * outputs + first_output..][..width];
            for (((o, s), scale), b) in row.iter_mut().zip(sum).zip(scales).zip(bias) {
                *o = s * scale + b;
            }
        }
    }
}

/// The dot product of two vectors (the shorter length): for the unit-length
/// embeddings of [`crate::Encoder`], their cosine.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    dot_lanes::<false>(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(x: &[f32], inputs: usize, weight: &[i8], scales: &[f32], bias: &[f32]) -> Vec<f32> {
        let outputs = scales.len();
        let mut out = Vec::new();
        for token in x.chunks_exact(inputs) {
            for o in 0..outputs {
                let sum: f64 = (0..inputs)
                    .map(|k| f64::from(token[k]) * f64::from(weight[o * inputs + k]))
                    .sum();
                out.push((sum * f64::from(scales[o]) + f64::from(bias[o])) as f32);
            }
        }
        out
    }

    #[test]
    fn the_product_matches_the_textbook_sum() {
        // Widths that are and are not multiples of the lanes and the tile;
        // token counts below, at and above a block.
        for (inputs, outputs, rows) in [
            (1, 5, 3),
            (7, 16, 1),
            (16, 17, 4),
            (37, 33, 9),
            (384, 5, 3),
            (384, 48, 13),
        ] {
            let x: Vec<f32> = (0..rows * inputs)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
                .collect();
            let weight: Vec<i8> = (0..outputs * inputs)
                .map(|i| ((i * 53 % 255) as i32 - 127) as i8)
                .collect();
            let scales: Vec<f32> = (0..outputs).map(|o| 0.01 * (o + 1) as f32).collect();
            let bias: Vec<f32> = (0..outputs).map(|o| o as f32 - 2.0).collect();
            let expected = naive(&x, inputs, &weight, &scales, &bias);
            let layer = Linear::new(&weight, scales, bias, inputs);
            let mut out = Vec::new();
            layer.apply(&x, &mut out);
            assert_eq!(out.len(), expected.len());
            for (got, want) in out.iter().zip(&expected) {
                assert!(
                    (got - want).abs() <= 1e-3 * want.abs().max(1.0),
                    "{inputs}: {got} vs {want}"
                );
            }
            let portable = {
                let mut out = Vec::new();
                layer.apply_with::<false, 4>(&x, &mut out);
                out
            };
            for (got, want) in portable.iter().zip(&expected) {
                assert!((got - want).abs() <= 1e-3 * want.abs().max(1.0));
            }
        }
    }

    #[test]
    fn dot_products_of_any_length() {
        for n in [0, 1, 15, 16, 17, 100] {
            let a: Vec<f32> = (0..n).map(|i| i as f32).collect();
            let b: Vec<f32> = (0..n).map(|i| 1.0 - i as f32 / 10.0).collect();
            let want: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!(
                (dot(&a, &b) - want).abs() < 1e-3 * want.abs().max(1.0),
                "{n}"
            );
        }
    }
}
