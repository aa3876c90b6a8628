using System.Collections.Generic;
using System.Linq;
using Dsl.Generator.Model;

namespace Dsl.Generator.Emit
{
    /// <summary>A trainable tensor a layer owns; the network emitter declares it with its gradient and momentum.</summary>
    /// <param name="Name">Field and checkpoint name, e.g. "W1".</param>
    /// <param name="Dimensions">Shape, e.g. { 784, 500 }.</param>
    /// <param name="Regularized">Whether L1/L2 apply (weights, not biases).</param>
    /// <param name="Description">For the field's doc comment, e.g. "Layer 1 weights".</param>
    /// <param name="FineTuned">Whether supervised training updates it (an RBM's visible biases only serve pre-training).</param>
    internal sealed record ParameterTensor(string Name, int[] Dimensions, bool Regularized, string Description, bool FineTuned = true);

    /// <summary>
    /// Emits one layer kind's code: its parameters, CPU forward and backward, ILGPU kernels and launches, side by side.
    /// The network emitter owns the buffers between layers: layer n reads <see cref="CpuInput"/> and writes A{n};
    /// in backward, dA{n} arrives already multiplied by the activation's derivative (dL/dz).
    /// </summary>
    internal abstract class LayerEmitter
    {
        public virtual IReadOnlyList<ParameterTensor> Parameters(LayerModel layer) => System.Array.Empty<ParameterTensor>();

        /// <summary>Constructor lines that draw the initial weights from <c>random</c>.</summary>
        public virtual void Initialize(SourceWriter w, LayerModel layer)
        {
        }

        /// <summary>Members of the network class itself, shared by both implementations (e.g. a layer's geometry).</summary>
        public virtual void SharedMembers(SourceWriter w, LayerModel layer)
        {
        }

        /// <summary>CPU fields beyond parameters and activations (e.g. scratch, pooling winners).</summary>
        public virtual void CpuFields(SourceWriter w, LayerModel layer, LayerModel? next)
        {
        }

        /// <summary>CPU constructor lines that allocate <see cref="CpuFields"/>, given <c>batchCapacity</c>.</summary>
        public virtual void CpuAllocate(SourceWriter w, LayerModel layer, LayerModel? next)
        {
        }

        /// <summary>Methods of the CPU class beyond forward and backward (e.g. an RBM's pre-training step).</summary>
        public virtual void CpuMethods(SourceWriter w, LayerModel layer, NetworkModel network)
        {
        }

        /// <summary>Device buffers beyond parameters and activations.</summary>
        public virtual void GpuFields(SourceWriter w, LayerModel layer)
        {
        }

        /// <summary>GPU constructor lines that allocate <see cref="GpuFields"/>, given <c>batchCapacity</c>.</summary>
        public virtual void GpuAllocate(SourceWriter w, LayerModel layer)
        {
        }

        /// <summary>Methods of the GPU class beyond forward and backward (e.g. an RBM's pre-training step).</summary>
        public virtual void GpuMethods(SourceWriter w, LayerModel layer, NetworkModel network)
        {
        }

        /// <summary>The layer's forward pass on the CPU; <paramref name="previous"/> and <paramref name="next"/> are its
        /// neighbours (null at the ends), for the fusions that span two layers (<see cref="PooledInScratch"/>).</summary>
        public abstract void CpuForward(SourceWriter w, LayerModel layer, LayerModel? previous, LayerModel? next);

        /// <summary>
        /// Whether the CPU path runs <paramref name="layer"/>, a convolution, and the max-pooling that follows it as one
        /// call, image by image: each image's convolution output stays in cache-sized scratch (the layer has no A{n} or
        /// dA{n}), and its activation comes after the pooling, f(max z) = max f(z) for a non-decreasing f, so f (forward)
        /// and f' (backward) are evaluated on one value per window instead of every output.
        /// </summary>
        public static bool PooledInScratch(LayerModel layer, LayerModel? next) => layer is ConvLayer && next is MaxPoolLayer;

        /// <summary>
        /// Parameter gradients, and dA{n-1} = dL/dA{n-1} unless this is the first layer; or, when
        /// <see cref="FusesPreviousActivation"/>, dA{n-1} already through <paramref name="previous"/>'s activation.
        /// </summary>
        public abstract void CpuBackward(SourceWriter w, LayerModel layer, LayerModel? previous, LayerModel? next);

        /// <summary>Whether <see cref="CpuBackward"/> applies the previous layer's activation derivative itself, so the
        /// network must not apply it again.</summary>
        public virtual bool FusesPreviousActivation => false;

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

        /// <summary>" through Tanh'" for a comment on a fused activation derivative; empty for Identity.</summary>
        protected static string Through(LayerModel previous) =>
            previous.Activation == ActivationKind.Identity ? string.Empty : " through " + previous.Activation + "'";

        public static string ActivationName(ActivationKind activation) => "global::Dsl.Activation." + activation;

        /// <summary>Glorot uniform for the activation (gain 4 for sigmoid), He uniform for ReLU, zeros before a softmax.</summary>
        protected static void InitializeWeights(SourceWriter w, string weights, ActivationKind activation, long fanIn, long fanOut)
        {
            switch (activation)
            {
                case ActivationKind.Softmax:
                    w.Line($"// {weights} starts at zero, as the tutorials' softmax layer does.");
                    break;
                case ActivationKind.Relu:
                    w.Line($"global::Dsl.Cpu.Initializers.HeUniform<T>({weights}, {fanIn}, random);");
                    break;
                case ActivationKind.Sigmoid:
                    w.Line($"global::Dsl.Cpu.Initializers.GlorotUniform<T>({weights}, {fanIn}, {fanOut}, gain: 4.0, random); // ×4: sigmoid's slope at 0 is 1/4");
                    break;
                default:
                    w.Line($"global::Dsl.Cpu.Initializers.GlorotUniform<T>({weights}, {fanIn}, {fanOut}, gain: 1.0, random);");
                    break;
            }
        }

        protected const string FloatView = "global::ILGPU.ArrayView<float>";
        protected const string IntView = "global::ILGPU.ArrayView<int>";

        /// <summary>"global::System.Action&lt;Index1D, …&gt;" for a kernel taking <paramref name="parameters"/> after its index.</summary>
        protected static string KernelType(params string[] parameters) =>
            "global::System.Action<" + string.Join(", ", new[] { "global::ILGPU.Index1D" }.Concat(parameters)) + ">";

        /// <summary>A line that compiles <paramref name="kernel"/> into <paramref name="field"/>.</summary>
        protected static void LoadKernel(SourceWriter w, string field, string kernel, params string[] parameters) =>
            w.Line($"{field} = global::ILGPU.Runtime.KernelLoaders.LoadAutoGroupedStreamKernel<{string.Join(", ", new[] { "global::ILGPU.Index1D" }.Concat(parameters))}>(accelerator, {kernel});");

        public static LayerEmitter For(LayerModel layer) => layer switch
        {
            DenseLayer _ => DenseEmitter.Instance,
            ConvLayer _ => ConvEmitter.Instance,
            MaxPoolLayer _ => MaxPoolEmitter.Instance,
            RbmLayer _ => RbmEmitter.Instance,
            _ => throw new System.InvalidOperationException("No emitter for " + layer.GetType().Name), // unreachable: the parser only builds known layers
        };
    }
}
