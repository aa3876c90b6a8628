using System.Collections.Generic;
using Dsl.Generator.Model;

namespace Dsl.Generator.Emit
{
    /// <summary>Dense: y (n, units) = f(x (n, inputs) · W (inputs, units) + b (units)); an image input is flattened.
    /// Also the forward and backward pass of an RBM layer, which fine-tunes as a Dense Sigmoid layer.</summary>
    internal class DenseEmitter : WeightedLayerEmitter
    {
        public static readonly DenseEmitter Instance = new DenseEmitter();

        public override IReadOnlyList<ParameterTensor> Parameters(LayerModel layer)
        {
            int n = layer.Number, inputs = (int)layer.Input.Size, units = (int)layer.Output.Size;
            return new[]
            {
                new ParameterTensor("W" + n, new[] { inputs, units }, true, "Layer " + n + " weights"),
                new ParameterTensor("B" + n, new[] { units }, false, "Layer " + n + " biases"),
            };
        }

        public override void Initialize(SourceWriter w, LayerModel layer) =>
            InitializeWeights(w, "W" + layer.Number, layer.Activation, layer.Input.Size, layer.Output.Size);

        public override void CpuForward(SourceWriter w, LayerModel dense, LayerModel? previous, LayerModel? next)
        {
            int n = dense.Number;
            long units = dense.Output.Size;
            w.Line($"// Layer {n}: {dense.Declaration}: {CpuInput(dense)} (n, {Flattened(dense.Input)}) · W{n} ({dense.Input.Size}, {units}) + B{n} → A{n} (n, {units})");
            w.Line($"global::Dsl.Layers.Dense.Forward<T>({CpuInput(dense)}, W{n}, B{n}, A{n}, count, {Sizes.Of(dense.Input.Size)}, {Sizes.Of(units)}, {ActivationName(dense.Activation)});");
        }

        public override void CpuBackward(SourceWriter w, LayerModel dense, LayerModel? previous, LayerModel? next)
        {
            int n = dense.Number;
            string input = CpuInput(dense);
            bool first = n == 1;
            w.Line($"// Layer {n}: dW{n} = {input}ᵀ·dA{n} ({dense.Input.Size}, {dense.Output.Size}), dB{n} = Σ_rows dA{n}"
                   + (first ? string.Empty : $", dA{n - 1} = dA{n}·W{n}ᵀ (n, {dense.Input.Size})"));
            w.Line($"global::Dsl.Layers.Dense.Backward<T>({input}, W{n}, dA{n}, dW{n}, dB{n}, {(first ? "default" : "dA" + (n - 1))}, count, {Sizes.Of(dense.Input.Size)}, {Sizes.Of(dense.Output.Size)});");
            w.Line($"global::Dsl.Layers.Regularization.AddGradient<T>(W{n}, dW{n}, l1, l2);");
        }

        public override void GpuKernels(SourceWriter w, LayerModel dense, LayerModel? previous)
        {
            int n = dense.Number;
            string inputs = Sizes.Of(dense.Input.Size), units = Sizes.Of(dense.Output.Size);
            w.Line($"private static void Layer{n}Forward(global::ILGPU.Index1D index, {FloatView} x, {FloatView} weights, {FloatView} bias, {FloatView} y) =>");
            w.Line($"    global::Dsl.Layers.Dense.ForwardKernel(index, x, weights, bias, y, {inputs}, {units}, {ActivationName(dense.Activation)});");
            w.Line();
            w.Line($"private static void Layer{n}WeightGradient(global::ILGPU.Index1D index, {FloatView} x, {FloatView} outputGradient, {FloatView} weights, {FloatView} weightGradient, int count, float l1, float l2) =>");
            w.Line($"    global::Dsl.Layers.Dense.WeightGradientKernel(index, x, outputGradient, weights, weightGradient, count, l1, l2, {inputs}, {units});");
            w.Line();
            w.Line($"private static void Layer{n}BiasGradient(global::ILGPU.Index1D unit, {FloatView} outputGradient, {FloatView} biasGradient, int count) =>");
            w.Line($"    global::Dsl.Layers.Dense.BiasGradientKernel(unit, outputGradient, biasGradient, count, {units});");
            if (previous is not null)
            {
                w.Line();
                w.Line($"private static void Layer{n}InputGradient(global::ILGPU.Index1D index, {FloatView} outputGradient, {FloatView} weights, {FloatView} x, {FloatView} inputGradient) =>");
                w.Line($"    global::Dsl.Layers.Dense.InputGradientKernel(index, outputGradient, weights, x, inputGradient, {inputs}, {units}, {ActivationName(previous.Activation)});");
            }
        }

        /// <summary>"784", or "1×28×28 = 784" for an image input that the layer flattens.</summary>
        protected static string Flattened(Shape shape) => shape.IsFlat ? shape.ToString() : shape + " = " + shape.Size;
    }
}
