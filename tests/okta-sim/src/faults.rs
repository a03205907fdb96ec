//! Deciding, call by call, which injected fault (if any) a call gets. Draws come from a generator
//! seeded from the org seed, so a single client making the same calls sees the same faults.

use crate::config::Faults;
use crate::net::Cut;
use crate::prng::SplitMix64;

#[derive(Debug)]
pub struct FaultState {
    pub faults: Faults,
    rng: SplitMix64,
}

/// The faults one call gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Draw {
    pub server_error: Option<u16>,
    pub cut: Option<Cut>,
}

impl FaultState {
    pub fn new(faults: Faults, seed: u64) -> FaultState {
        FaultState {
            faults,
            rng: SplitMix64::derive(seed, "faults"),
        }
    }

    pub fn draw(&mut self) -> Draw {
        let mut draw = Draw::default();
        if self.faults.error_5xx_share > 0.0 && self.rng.chance(self.faults.error_5xx_share) {
            draw.server_error = Some(*self.rng.pick(&[500, 502, 503]));
        } else if self.faults.drop_share > 0.0 && self.rng.chance(self.faults.drop_share) {
            draw.cut = Some(if self.rng.chance(0.5) {
                Cut::BeforeResponse
            } else {
                Cut::MidBody
            });
        }
        draw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_roughly_respected_and_zero_means_never() {
        let mut quiet = FaultState::new(Faults::default(), 1);
        assert!((0..1000).all(|_| quiet.draw() == Draw::default()));
        let mut noisy = FaultState::new(
            Faults {
                error_5xx_share: 0.3,
                drop_share: 0.2,
                ..Faults::default()
            },
            1,
        );
        let draws: Vec<Draw> = (0..2000).map(|_| noisy.draw()).collect();
        let errors = draws.iter().filter(|d| d.server_error.is_some()).count();
        let cuts = draws.iter().filter(|d| d.cut.is_some()).count();
        assert!((450..750).contains(&errors), "{errors}");
        assert!((200..400).contains(&cuts), "{cuts}");
    }
}
