using System.Collections.Generic;
using Dsl.Generator.Model;

namespace Dsl.Generator.Emit
{
    /// <summary>
    /// Conv: y (n, F, Ho, Wo) = f(x (n, C, H, W) ⋆ W (F, C, kh, kw) + b (F)). The geometry is one shared
    /// <c>Layer{n}Shape</c> property that the CPU calls and the kernels both read, so ILGPU sees it as constants.
    /// </summary>
    internal sealed class ConvEmitter : WeightedLayerEmitter
    {
        public static readonly ConvEmitter Instance = new ConvEmitter();

        public override IReadOnlyList<ParameterTensor> Parameters(LayerModel layer)
        {
            var conv = (ConvLayer)layer;
            return new[]
            {
                new ParameterTensor("W" + conv.Number, new[] { conv.Filters, conv.Input.Channels, conv.KernelHeight, conv.KernelWidth }, true, "Layer " + conv.Number + " kernels"),
                new ParameterTensor("B" + conv.Number, new[] { conv.Filters }, false, "Layer " + conv.Number + " biases"),
            };
        }

        public override void Initialize(SourceWriter w, LayerModel layer)
        {
            var conv = (ConvLayer)layer;
            InitializeWeights(w, "W" + conv.Number, conv.Activation, conv.PatchSize, (long)conv.Filters * conv.KernelHeight * conv.KernelWidth);
        }

        public override void SharedMembers(SourceWriter w, LayerModel layer)
        {
            var conv = (ConvLayer)layer;
            w.Line($"/// <summary>Layer {conv.Number}, {conv.Declaration}: {conv.Input} → {conv.Output}.</summary>");
            w.Line($"private static global::Dsl.Layers.ConvShape Layer{conv.Number}Shape => new global::Dsl.Layers.ConvShape(" +
                   $"channels: {conv.Input.Channels}, height: {conv.Input.Height}, width: {conv.Input.Width}, filters: {conv.Filters}, " +
                   $"kernelHeight: {conv.KernelHeight}, kernelWidth: {conv.KernelWidth}, stride: {conv.Stride}, padding: {conv.Padding});");
            w.Line();
        }

        public override void CpuFields(SourceWriter w, LayerModel layer, LayerModel? next) =>
            w.Line($"private readonly global::Dsl.Layers.ConvWorkspace<T> Layer{layer.Number}Workspace; // im2col scratch per image chunk"
                   + (PooledInScratch(layer, next) ? ", and one image's output before pooling" : string.Empty));

        public override void CpuAllocate(SourceWriter w, LayerModel layer, LayerModel? next)
        {
            int n = layer.Number;
            w.Line(PooledInScratch(layer, next)
                ? $"Layer{n}Workspace = new global::Dsl.Layers.ConvWorkspace<T>(Layer{n}Shape, Layer{n + 1}Shape, batchCapacity);"
                : $"Layer{n}Workspace = new global::Dsl.Layers.ConvWorkspace<T>(Layer{n}Shape, batchCapacity);");
        }

        public override void CpuForward(SourceWriter w, LayerModel layer, LayerModel? previous, LayerModel? next)
        {
            var conv = (ConvLayer)layer;
            int n = conv.Number;
            string product = $"{CpuInput(conv)} (n, {conv.Input}) ⋆ W{n} ({conv.Filters}, {conv.Input.Channels}, {conv.KernelHeight}, {conv.KernelWidth}) + B{n}";
            if (PooledInScratch(conv, next))
            {
                var pool = (MaxPoolLayer)next!;
                w.Line($"// Layer {n}: {conv.Declaration}: {product} → ({conv.Output}) one image at a time in scratch,");
                w.Line($"// which layer {n + 1}, {pool.Declaration}, pools into A{n + 1} (n, {pool.Output}) with winners in M{n + 1}"
                       + (conv.Activation == ActivationKind.Identity ? "." : $"; the {conv.Activation} follows on"));
                if (conv.Activation != ActivationKind.Identity)
                    w.Line("// the maxima: max commutes with a non-decreasing function, and this evaluates it once per window.");
                w.Line($"global::Dsl.Layers.Conv.ForwardPooled<T>({CpuInput(conv)}, W{n}, B{n}, A{n + 1}, M{n + 1}, count, Layer{n}Shape, Layer{n + 1}Shape, {ActivationName(conv.Activation)}, Layer{n}Workspace);");
                return;
            }
            w.Line($"// Layer {n}: {conv.Declaration}: {product} → A{n} (n, {conv.Output})");
            w.Line($"global::Dsl.Layers.Conv.Forward<T>({CpuInput(conv)}, W{n}, B{n}, A{n}, count, Layer{n}Shape, {ActivationName(conv.Activation)}, Layer{n}Workspace);");
        }

        public override void CpuBackward(SourceWriter w, LayerModel layer, LayerModel? previous, LayerModel? next)
        {
            var conv = (ConvLayer)layer;
            int n = conv.Number;
            bool first = n == 1;
            string inputGradient = first ? "default" : "dA" + (n - 1);
            if (PooledInScratch(conv, next))
            {
                w.Line($"// Layers {n + 1} and {n}, image by image: dz = dA{n + 1} ⊙ {conv.Activation}'(A{n + 1}) routed to each window's winner M{n + 1} (zero elsewhere) in scratch,");
                w.Line($"// then dW{n} = Σ dz·im2col({CpuInput(conv)})ᵀ, dB{n} = Σ dz" + (first ? string.Empty : $", dA{n - 1} = col2im(W{n}ᵀ·dz) (n, {conv.Input})"));
                w.Line($"global::Dsl.Layers.Conv.BackwardPooled<T>({CpuInput(conv)}, W{n}, dA{n + 1}, A{n + 1}, {ActivationName(conv.Activation)}, M{n + 1}, dW{n}, dB{n}, {inputGradient}, count, Layer{n}Shape, Layer{n + 1}Shape, Layer{n}Workspace);");
            }
            else
            {
                w.Line($"// Layer {n}: dW{n} = Σ dA{n}·im2col({CpuInput(conv)})ᵀ, dB{n} = Σ dA{n}"
                       + (first ? string.Empty : $", dA{n - 1} = col2im(W{n}ᵀ·dA{n}) (n, {conv.Input})"));
                w.Line($"global::Dsl.Layers.Conv.Backward<T>({CpuInput(conv)}, W{n}, dA{n}, dW{n}, dB{n}, {inputGradient}, count, Layer{n}Shape, Layer{n}Workspace);");
            }
            w.Line($"global::Dsl.Layers.Regularization.AddGradient<T>(W{n}, dW{n}, l1, l2);");
        }

        public override void GpuKernels(SourceWriter w, LayerModel layer, LayerModel? previous)
        {
            var conv = (ConvLayer)layer;
            int n = conv.Number;
            w.Line($"private static void Layer{n}Forward(global::ILGPU.Index1D index, {FloatView} x, {FloatView} weights, {FloatView} bias, {FloatView} y) =>");
            w.Line($"    global::Dsl.Layers.Conv.ForwardKernel(index, x, weights, bias, y, Layer{n}Shape, {ActivationName(conv.Activation)});");
            w.Line();
            w.Line($"private static void Layer{n}WeightGradient(global::ILGPU.Index1D index, {FloatView} x, {FloatView} outputGradient, {FloatView} weights, {FloatView} weightGradient, int count, float l1, float l2) =>");
            w.Line($"    global::Dsl.Layers.Conv.WeightGradientKernel(index, x, outputGradient, weights, weightGradient, count, l1, l2, Layer{n}Shape);");
            w.Line();
            w.Line($"private static void Layer{n}BiasGradient(global::ILGPU.Index1D filter, {FloatView} outputGradient, {FloatView} biasGradient, int count) =>");
            w.Line($"    global::Dsl.Layers.Conv.BiasGradientKernel(filter, outputGradient, biasGradient, count, Layer{n}Shape);");
            if (previous is not null)
            {
                w.Line();
                w.Line($"private static void Layer{n}InputGradient(global::ILGPU.Index1D index, {FloatView} outputGradient, {FloatView} weights, {FloatView} x, {FloatView} inputGradient) =>");
                w.Line($"    global::Dsl.Layers.Conv.InputGradientKernel(index, outputGradient, weights, x, inputGradient, Layer{n}Shape, {ActivationName(previous.Activation)});");
            }
        }
    }
}
