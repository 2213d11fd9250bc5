#pragma once

#include "framework/random.h"
#include "framework/state_dict.h"

namespace ember {

// A generator's position for a training checkpoint: its seed and offset as
// decimal strings in the StateDict's metadata ("seed", "offset"), exact for
// every 64-bit value. Merge it under a prefix ("generator") beside the model
// and optimizer; a generator restored from it draws the same numbers next.
StateDict generator_state(const Generator& generator);

// Reseeds `generator` and moves it to the saved offset. Throws ember::Error
// naming the entry when "seed" or "offset" is missing or not a decimal u64.
void load_generator_state(Generator& generator, const StateDict& state);

}  // namespace ember
