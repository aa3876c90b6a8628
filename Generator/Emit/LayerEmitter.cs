using System.Collections.Generic;
using Dsl.Generator.Model;

namespace Dsl.Generator.Emit
{
    /// <summary>A trainable tensor a layer owns; the network emitter declares it with its gradient and momentum.</summary>
    /// <param name="Name">Field and checkpoint name, e.g. "W1".</param>
    /// <param name="Dimensions">Shape, e.g. { 784, 500 }.</param>
    /// <param name="Regularized">Whether L1/L2 apply (weights, not biases).</param>
    /// <param name="Description">For the field's doc comment, e.g. "Layer 1 weights".</param>
    internal sealed record ParameterTensor(string Name, int[] Dimensions, bool Regularized, string Description);

    /// <summary>
    /// Emits one layer kind's code: its parameters, CPU forward and backward, ILGPU kernels and launches, side by side.
    /// The network emitter owns the buffers between layers: layer n reads <see cref="CpuInput"/> and writes A{n};
    /// in backward, dA{n} arrives already multiplied by the activation's derivative (dL/dz).
    /// </summary>
    internal abstract class LayerEmitter
    {
        public abstract IReadOnlyList<ParameterTensor> Parameters(LayerModel layer);

        /// <summary>Constructor lines that draw the initial weights from <c>random</c>.</summary>
        public abstract void Initialize(SourceWriter w, LayerModel layer);

        public abstract void CpuForward(SourceWriter w, LayerModel layer);

        /// <summary>Parameter gradients, and dA{n-1} = dL/dA{n-1} unless this is the first layer.</summary>
        public abstract void CpuBackward(SourceWriter w, LayerModel layer);

        /// <summary>Delegate fields for the layer's kernels.</summary>
        public abstract void GpuKernelFields(SourceWriter w, LayerModel layer);

        /// <summary>Constructor lines that compile the layer's kernels for the accelerator.</summary>
        public abstract void GpuLoadKernels(SourceWriter w, LayerModel layer);

        public abstract void GpuForward(SourceWriter w, LayerModel layer);

        /// <summary>Like <see cref="CpuBackward"/>, but the input gradient leaves already through the previous layer's
        /// activation derivative (fused into the kernel), given as <paramref name="previous"/>.</summary>
        public abstract void GpuBackward(SourceWriter w, LayerModel layer, LayerModel? previous);

        /// <summary>The kernel methods, specialised with the layer's sizes as constants.</summary>
        public abstract void GpuKernels(SourceWriter w, LayerModel layer, LayerModel? previous);

        public static string CpuInput(LayerModel layer) => layer.Number == 1 ? "images" : "A" + (layer.Number - 1);
        public static string GpuInput(LayerModel layer) => layer.Number == 1 ? "Images.View" : "A" + (layer.Number - 1) + ".View";

        public static string ActivationName(ActivationKind activation) => "global::Dsl.Activation." + activation;

        public static LayerEmitter For(LayerModel layer) => layer switch
        {
            DenseLayer _ => DenseEmitter.Instance,
            _ => throw new System.InvalidOperationException("No emitter for " + layer.GetType().Name), // unreachable: the parser only builds known layers
        };
    }
}
