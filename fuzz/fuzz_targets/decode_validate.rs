//! bytes → `codec::decode::<RendererToBroker>` → validation, capability
//! look-up and re-encode round trip. See `workshop_fuzz::codec_check`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    workshop_fuzz::codec_check::check(data);
});
