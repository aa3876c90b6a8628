using System.Collections.Generic;
using System.Linq;
using Dsl.Generator.Model;

namespace Dsl.Generator.Emit
{
    /// <summary>
    /// Layers with weights and biases (Dense, Conv) share their kernels' signatures: forward (x, W, b → y), weight
    /// gradient with the L1/L2 terms, bias gradient, and an input gradient for every layer but the first; and so
    /// the same launches.
    /// </summary>
    internal abstract class WeightedLayerEmitter : LayerEmitter
    {
        public override void GpuKernelFields(SourceWriter w, LayerModel layer)
        {
            int n = layer.Number;
            w.Line($"private readonly {KernelType(FloatView, FloatView, FloatView, FloatView)} _layer{n}Forward;");
            w.Line($"private readonly {KernelType(FloatView, FloatView, FloatView, FloatView, "int", "float", "float")} _layer{n}WeightGradient;");
            w.Line($"private readonly {KernelType(FloatView, FloatView, "int")} _layer{n}BiasGradient;");
            if (n > 1) w.Line($"private readonly {KernelType(FloatView, FloatView, FloatView, FloatView)} _layer{n}InputGradient;");
        }

        public override void GpuLoadKernels(SourceWriter w, LayerModel layer)
        {
            int n = layer.Number;
            LoadKernel(w, $"_layer{n}Forward", $"Layer{n}Forward", FloatView, FloatView, FloatView, FloatView);
            LoadKernel(w, $"_layer{n}WeightGradient", $"Layer{n}WeightGradient", FloatView, FloatView, FloatView, FloatView, "int", "float", "float");
            LoadKernel(w, $"_layer{n}BiasGradient", $"Layer{n}BiasGradient", FloatView, FloatView, "int");
            if (n > 1) LoadKernel(w, $"_layer{n}InputGradient", $"Layer{n}InputGradient", FloatView, FloatView, FloatView, FloatView);
        }

        public override void GpuForward(SourceWriter w, LayerModel layer)
        {
            int n = layer.Number;
            w.Line($"// Layer {n}: {layer.Declaration}, one thread per output (n × {layer.Output})");
            w.Line($"_layer{n}Forward(count * {Sizes.Of(layer.Output.Size)}, {GpuInput(layer)}, W{n}.View, B{n}.View, A{n}.View);");
        }

        public override void GpuBackward(SourceWriter w, LayerModel layer, LayerModel? previous)
        {
            int n = layer.Number;
            IReadOnlyList<ParameterTensor> parameters = Parameters(layer); // weights, then biases
            int[] weightShape = parameters[0].Dimensions;
            long weights = weightShape.Aggregate(1L, (product, d) => product * d);
            int biases = parameters[1].Dimensions[0];
            w.Line($"// Layer {n}: dW{n} ({string.Join(" × ", weightShape)} threads), dB{n} ({biases})"
                   + (previous is null ? string.Empty : $", dA{n - 1}{Through(previous)} (n × {layer.Input})"));
            w.Line($"_layer{n}WeightGradient({Sizes.Of(weights)}, {GpuInput(layer)}, dA{n}.View, W{n}.View, dW{n}.View, count, l1, l2);");
            w.Line($"_layer{n}BiasGradient({Sizes.Of(biases)}, dA{n}.View, dB{n}.View, count);");
            if (previous is not null)
                w.Line($"_layer{n}InputGradient(count * {Sizes.Of(layer.Input.Size)}, dA{n}.View, W{n}.View, A{n - 1}.View, dA{n - 1}.View);");
        }
    }
}
