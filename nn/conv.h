#pragma once

#include <memory>
#include <optional>
#include <string>

#include "framework/tensor.h"
#include "nn/module.h"
#include "nn/module_holder.h"
#include "ops/conv.h"

// Convolution layers over 1, 2 or 3 spatial dims, as torch.nn's Conv1d/2d/3d
// and ConvTranspose1d/2d/3d (PyTorch 1.13), computed by ops/conv.h.
//
// Shapes, with d spatial dims and g = groups:
//   Conv:           input [N, C_in, *in] or unbatched [C_in, *in] -> [N, C_out, *out]
//                   weight [C_out, C_in / g, *kernel], bias [C_out]
//   ConvTranspose:  input [N, C_in, *in] or unbatched [C_in, *in] -> [N, C_out, *out]
//                   weight [C_in, C_out / g, *kernel], bias [C_out]
// (output sizes as in ops/conv.h). Float32 or float64, matching the parameters.
//
// Initialised as PyTorch: weight kaiming_uniform_(a = sqrt(5)) and bias
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = weight.shape[1] * prod(kernel)
// (C_in / g * prod(kernel) for Conv, C_out / g * prod(kernel) for ConvTranspose).
//
// Limitation: only zero padding (PyTorch's default padding_mode "zeros");
// reflect, replicate and circular padding are not implemented.
namespace ember::nn {

// Conv1d/2d/3d options, in PyTorch's keyword order (designated initializers
// must follow it): nn::Conv2d(1, 32, 3, {.stride = 2, .padding = 1}).
struct ConvNdOptions {
  ConvSizes stride = 1;     // >= 1; one value for every dim or one per dim
  ConvPadding padding = 0;  // >= 0 per dim, or "same" (stride 1 only) / "valid"
  ConvSizes dilation = 1;   // >= 1
  int64_t groups = 1;       // divides in_channels and out_channels
  bool bias = true;
};
using Conv1dOptions = ConvNdOptions;
using Conv2dOptions = ConvNdOptions;
using Conv3dOptions = ConvNdOptions;

// ConvTranspose1d/2d/3d options, in PyTorch's keyword order.
struct ConvTransposeNdOptions {
  ConvSizes stride = 1;          // >= 1
  ConvSizes padding = 0;         // >= 0, removed from both ends of the output
  ConvSizes output_padding = 0;  // >= 0, added at the end; below stride or dilation
  int64_t groups = 1;            // divides in_channels and out_channels
  bool bias = true;
  ConvSizes dilation = 1;        // >= 1
};
using ConvTranspose1dOptions = ConvTransposeNdOptions;
using ConvTranspose2dOptions = ConvTransposeNdOptions;
using ConvTranspose3dOptions = ConvTransposeNdOptions;

// The body shared by Conv1d/2d/3d. Sizes are read back expanded to one value
// per spatial dim: kernel_size, stride, padding (zeros for "valid", empty
// for "same"), dilation.
// Throws ember::Error at construction for sizes with a count other than 1 or
// d or out of range, groups that do not divide the channels, and "same" with
// a stride above 1; in forward for an input of the wrong rank, channel count
// or dtype, or smaller than the dilated kernel.
class ConvNdImpl : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  // Draws the weight and bias again from the default initialisation.
  void reset_parameters();
  // "1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)"
  std::string extra_repr() const override;

  int64_t in_channels;
  int64_t out_channels;
  Shape kernel_size;
  Shape stride;
  ConvPadding::Mode padding_mode;  // Explicit, Same or Valid
  Shape padding;
  Shape dilation;
  int64_t groups;
  Tensor weight;
  Tensor bias;

 protected:
  ConvNdImpl(int64_t spatial_dims, int64_t in_channels, int64_t out_channels,
             const ConvSizes& kernel_size, const ConvNdOptions& options);

 private:
  int64_t spatial_dims_;
};

class Conv1dImpl : public ConvNdImpl {
 public:
  Conv1dImpl(int64_t in_channels, int64_t out_channels, const ConvSizes& kernel_size,
             const Conv1dOptions& options = {})
      : ConvNdImpl(1, in_channels, out_channels, kernel_size, options) {}
};

class Conv2dImpl : public ConvNdImpl {
 public:
  Conv2dImpl(int64_t in_channels, int64_t out_channels, const ConvSizes& kernel_size,
             const Conv2dOptions& options = {})
      : ConvNdImpl(2, in_channels, out_channels, kernel_size, options) {}
};

class Conv3dImpl : public ConvNdImpl {
 public:
  Conv3dImpl(int64_t in_channels, int64_t out_channels, const ConvSizes& kernel_size,
             const Conv3dOptions& options = {})
      : ConvNdImpl(3, in_channels, out_channels, kernel_size, options) {}
};

// The body shared by ConvTranspose1d/2d/3d; sizes read back as for ConvNdImpl.
// Throws ember::Error at construction for sizes out of range, an
// output_padding not below stride or dilation, and groups that do not divide
// the channels; in forward for an input of the wrong rank, channel count or
// dtype, an output below one element, and an output_size out of reach.
class ConvTransposeNdImpl : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  // Picks the output_padding that yields `output_size` (the spatial sizes,
  // or the full output shape), as PyTorch's forward(input, output_size): a
  // strided convolution maps several input sizes to one output size, and this
  // selects which one to invert.
  Tensor forward(const Tensor& input, const Shape& output_size);
  void reset_parameters();
  // "4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1)"
  std::string extra_repr() const override;

  int64_t in_channels;
  int64_t out_channels;
  Shape kernel_size;
  Shape stride;
  Shape padding;
  Shape output_padding;
  int64_t groups;
  Shape dilation;
  Tensor weight;
  Tensor bias;

 protected:
  ConvTransposeNdImpl(int64_t spatial_dims, int64_t in_channels, int64_t out_channels,
                      const ConvSizes& kernel_size, const ConvTransposeNdOptions& options);

 private:
  Tensor run(const Tensor& input, const Shape& output_padding) const;

  int64_t spatial_dims_;
};

class ConvTranspose1dImpl : public ConvTransposeNdImpl {
 public:
  ConvTranspose1dImpl(int64_t in_channels, int64_t out_channels, const ConvSizes& kernel_size,
                      const ConvTranspose1dOptions& options = {})
      : ConvTransposeNdImpl(1, in_channels, out_channels, kernel_size, options) {}
};

class ConvTranspose2dImpl : public ConvTransposeNdImpl {
 public:
  ConvTranspose2dImpl(int64_t in_channels, int64_t out_channels, const ConvSizes& kernel_size,
                      const ConvTranspose2dOptions& options = {})
      : ConvTransposeNdImpl(2, in_channels, out_channels, kernel_size, options) {}
};

class ConvTranspose3dImpl : public ConvTransposeNdImpl {
 public:
  ConvTranspose3dImpl(int64_t in_channels, int64_t out_channels, const ConvSizes& kernel_size,
                      const ConvTranspose3dOptions& options = {})
      : ConvTransposeNdImpl(3, in_channels, out_channels, kernel_size, options) {}
};

// The handles. Each has a constructor of its own so that braced arguments
// (`nn::Conv2d(1, 32, {3, 5}, {.padding = 1})`) work: the forwarding
// constructor of ModuleHolder cannot deduce a braced list.
#define EMBER_CONV_HOLDER(Name, Options)                                                 \
  class Name : public ModuleHolder<Name##Impl> {                                         \
   public:                                                                               \
    using ModuleHolder<Name##Impl>::ModuleHolder;                                        \
    Name(int64_t in_channels, int64_t out_channels, const ConvSizes& kernel_size,        \
         const Options& options = {})                                                    \
        : ModuleHolder(                                                                  \
              std::make_shared<Name##Impl>(in_channels, out_channels, kernel_size, options)) {} \
  }

EMBER_CONV_HOLDER(Conv1d, Conv1dOptions);
EMBER_CONV_HOLDER(Conv2d, Conv2dOptions);
EMBER_CONV_HOLDER(Conv3d, Conv3dOptions);
EMBER_CONV_HOLDER(ConvTranspose1d, ConvTranspose1dOptions);
EMBER_CONV_HOLDER(ConvTranspose2d, ConvTranspose2dOptions);
EMBER_CONV_HOLDER(ConvTranspose3d, ConvTranspose3dOptions);

#undef EMBER_CONV_HOLDER

}  // namespace ember::nn
