//! A logistic-regression classifier over sentence embeddings, trained when a
//! knowledge base is loaded: a few thousand labelled texts, a few hundred
//! passes, well under a second. carebot uses it to recognise by meaning a
//! message that describes an emergency in words no concept lists.
//!
//! The classes are weighted so that the rarer one (emergencies are a fifth of
//! a knowledge base's examples) counts as much as the other, and the weights
//! are kept small (L2) so that no single direction of the embedding space
//! decides on its own. Plain gradient descent with momentum: the problem is
//! convex and small, and no linear-algebra crate is needed for it.

use crate::kernels::dot;

/// L2 penalty on the weights.
const PENALTY: f32 = 1e-4;
/// Step size and momentum of gradient descent; with unit-length embeddings
/// 300 passes reach what 3,000 passes without momentum reach.
const STEP: f32 = 5.0;
const MOMENTUM: f32 = 0.9;
const PASSES: usize = 300;

/// A trained classifier: the probability that an embedding is of the positive
/// class is `sigmoid(weights · x + bias)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    weights: Vec<f32>,
    bias: f32,
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl Logistic {
    /// Trains on `rows` (all of one length) labelled by `labels`. `None` when
    /// there is nothing to learn: no rows, or only one class.
    pub fn fit(rows: &[&[f32]], labels: &[bool]) -> Option<Logistic> {
        assert_eq!(rows.len(), labels.len(), "one label per row");
        let positives = labels.iter().filter(|&&l| l).count();
        let negatives = labels.len() - positives;
        if positives == 0 || negatives == 0 {
            return None;
        }
        let width = rows[0].len();
        assert!(rows.iter().all(|r| r.len() == width), "rows of one length");
        // Each class weighs as much as the other in total.
        let positive_weight = negatives as f32 / positives as f32;
        let count = rows.len() as f32;
        let mut weights = vec![0f32; width];
        let mut bias = 0f32;
        let mut velocity = vec![0f32; width];
        let mut bias_velocity = 0f32;
        let mut gradient = vec![0f32; width];
        for _ in 0..PASSES {
            gradient.fill(0.0);
            let mut bias_gradient = 0f32;
            for (row, &label) in rows.iter().zip(labels) {
                let predicted = sigmoid(dot(&weights, row) + bias);
                let (target, weight) = if label {
                    (1.0, positive_weight)
                } else {
                    (0.0, 1.0)
                };
                let residual = (predicted - target) * weight / count;
                for (g, x) in gradient.iter_mut().zip(row.iter()) {
                    *g += residual * x;
                }
                bias_gradient += residual;
            }
            for ((w, v), g) in weights.iter_mut().zip(&mut velocity).zip(&gradient) {
                *v = MOMENTUM * *v - STEP * (g + PENALTY * *w);
                *w += *v;
            }
            bias_velocity = MOMENTUM * bias_velocity - STEP * bias_gradient;
            bias += bias_velocity;
        }
        Some(Logistic { weights, bias })
    }

    /// The probability that `row` is of the positive class.
    pub fn probability(&self, row: &[f32]) -> f32 {
        sigmoid(dot(&self.weights, row) + self.bias)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: [f32; 3]) -> Vec<f32> {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / norm).collect()
    }

    #[test]
    fn learns_which_side_of_the_space_is_positive() {
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for i in 0..20 {
            let jitter = i as f32 / 40.0;
            rows.push(unit([1.0, jitter, 0.2]));
            labels.push(true);
            rows.push(unit([-1.0, jitter, 0.2]));
            labels.push(false);
        }
        let borrowed: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let model = Logistic::fit(&borrowed, &labels).expect("two classes");
        assert!(model.probability(&unit([0.9, 0.3, 0.1])) > 0.9);
        assert!(model.probability(&unit([-0.9, 0.3, 0.1])) < 0.1);
    }

    #[test]
    fn a_rare_class_is_not_drowned_by_the_common_one() {
        // One positive among thirty negatives, close to them: weighted as a
        // class, the positive is still recognised.
        let mut rows = vec![unit([0.3, 1.0, 0.0])];
        let mut labels = vec![true];
        for i in 0..30 {
            rows.push(unit([-0.3, 1.0, i as f32 / 60.0]));
            labels.push(false);
        }
        let borrowed: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let model = Logistic::fit(&borrowed, &labels).expect("two classes");
        assert!(model.probability(&rows[0]) > 0.5);
        assert!(model.probability(&rows[1]) < 0.5);
    }

    #[test]
    fn one_class_alone_teaches_nothing() {
        let rows = [unit([1.0, 0.0, 0.0]), unit([0.0, 1.0, 0.0])];
        let borrowed: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        assert_eq!(Logistic::fit(&borrowed, &[true, true]), None);
        assert_eq!(Logistic::fit(&borrowed, &[false, false]), None);
        assert_eq!(Logistic::fit(&[], &[]), None);
    }
}
