//! Helpers shared by the integration tests of rehearse-audio.

/// Equality, hashing, Debug and Display by the device's name (`self.spec.name`), as cpal
/// wants of a device type; shared by the fake microphone and the fake speaker.
macro_rules! named_device {
    ($t:ident) => {
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.spec.name == other.spec.name
            }
        }
        impl Eq for $t {}
        impl std::hash::Hash for $t {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                std::hash::Hash::hash(&self.spec.name, state);
            }
        }
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple(stringify!($t)).field(&self.spec.name).finish()
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.spec.name)
            }
        }
    };
}

pub mod fake_device;
pub mod fake_speaker;
