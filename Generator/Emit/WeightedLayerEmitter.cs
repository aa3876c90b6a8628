using Dsl.Generator.Model;

namespace Dsl.Generator.Emit
{
    /// <summary>
    /// Layers with weights and biases (Dense, Conv) share their kernels' signatures: forward (x, W, b → y), weight
    /// gradient with the L1/L2 terms, bias gradient, and an input gradient for every layer but the first.
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
    }
}
