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

/// `y = x Wᵀ + b` for a row-major `x` of tokens × `inputs`, `W` in 8 bits.
pub(crate) struct Linear {
    /// `outputs × inputs`, row-major, as the model stores it.
    pub weight: Vec<i8>,
    /// One per output row: the weight is `scale × value`.
    pub scales: Vec<f32>,
    pub bias: Vec<f32>,
    pub inputs: usize,
}

impl Linear {
    /// `out[r][o] = bias[o] + scales[o] × Σₖ x[r][k] × weight[o][k]`; the AVX2
    /// build where the CPU has it.
    pub(crate) fn apply(&self, x: &[f32], out: &mut Vec<f32>) {
        debug_assert_eq!(x.len() % self.inputs, 0);
        debug_assert_eq!(self.weight.len(), self.scales.len() * self.inputs);
        debug_assert_eq!(self.bias.len(), self.scales.len());
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has AVX2 and FMA, checked just above.
            return unsafe { self.apply_avx2(x, out) };
        }
        self.apply_with::<false>(x, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn apply_avx2(&self, x: &[f32], out: &mut Vec<f32>) {
        self.apply_with::<true>(x, out);
    }

    #[inline(always)]
    fn apply_with<const FMA: bool>(&self, x: &[f32], out: &mut Vec<f32>) {
        let inputs = self.inputs;
        let outputs = self.scales.len();
        let rows = x.len() / inputs;
        out.clear();
        out.resize(rows * outputs, 0.0);
        let mut widened = vec![0.0f32; inputs];
        for (o, quantised) in self.weight.chunks_exact(inputs).enumerate() {
            for (w, &q) in widened.iter_mut().zip(quantised) {
                *w = f32::from(q);
            }
            for (r, token) in x.chunks_exact(inputs).enumerate() {
                out[r * outputs + o] =
                    dot_lanes::<FMA>(token, &widened) * self.scales[o] + self.bias[o];
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
        // Widths that are and are not multiples of the lanes.
        for inputs in [1, 7, 16, 37, 384] {
            let outputs = 5;
            let rows = 3;
            let x: Vec<f32> = (0..rows * inputs)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
                .collect();
            let weight: Vec<i8> = (0..outputs * inputs)
                .map(|i| ((i * 53 % 255) as i32 - 127) as i8)
                .collect();
            let scales: Vec<f32> = (0..outputs).map(|o| 0.01 * (o + 1) as f32).collect();
            let bias: Vec<f32> = (0..outputs).map(|o| o as f32 - 2.0).collect();
            let expected = naive(&x, inputs, &weight, &scales, &bias);
            let layer = Linear {
                weight,
                scales,
                bias,
                inputs,
            };
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
                layer.apply_with::<false>(&x, &mut out);
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
