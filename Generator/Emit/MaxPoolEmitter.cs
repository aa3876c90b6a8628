using Dsl.Generator.Model;

namespace Dsl.Generator.Emit
{
    /// <summary>
    /// MaxPool: y (n, C, Ho, Wo) = the maximum of each window of x (n, C, H, W). Forward records each window's winner
    /// in M{n} so backward can route the gradient to it. No parameters.
    /// </summary>
    internal sealed class MaxPoolEmitter : LayerEmitter
    {
        public static readonly MaxPoolEmitter Instance = new MaxPoolEmitter();

        public override void SharedMembers(SourceWriter w, LayerModel layer)
        {
            var pool = (MaxPoolLayer)layer;
            w.Line($"/// <summary>Layer {pool.Number}, {pool.Declaration}: {pool.Input} → {pool.Output}.</summary>");
            w.Line($"private static global::Dsl.Layers.PoolShape Layer{pool.Number}Shape => new global::Dsl.Layers.PoolShape(" +
                   $"channels: {pool.Input.Channels}, height: {pool.Input.Height}, width: {pool.Input.Width}, size: {pool.Size}, stride: {pool.Stride});");
            w.Line();
        }

        public override void CpuFields(SourceWriter w, LayerModel layer, LayerModel? next) =>
            w.Line($"private readonly int[] M{layer.Number}; // (n, {layer.Output}): index of each window's maximum in the layer's input");

        public override void CpuAllocate(SourceWriter w, LayerModel layer, LayerModel? next) =>
            w.Line($"M{layer.Number} = new int[batchCapacity * {Sizes.Of(layer.Output.Size)}];");

        public override void GpuFields(SourceWriter w, LayerModel layer) =>
            w.Line($"private readonly global::ILGPU.Runtime.MemoryBuffer1D<int, global::ILGPU.Stride1D.Dense> M{layer.Number}; // (n, {layer.Output})");

        public override void GpuAllocate(SourceWriter w, LayerModel layer) =>
            w.Line($"M{layer.Number} = AllocateIndices(batchCapacity * {Sizes.Of(layer.Output.Size)});");

        public override void CpuForward(SourceWriter w, LayerModel layer, LayerModel? previous, LayerModel? next)
        {
            var pool = (MaxPoolLayer)layer;
            int n = pool.Number;
            if (previous is not null && PooledInScratch(previous, pool))
            {
                w.Line($"// Layer {n}: {pool.Declaration}: pooled image by image in layer {n - 1}'s call above.");
                return;
            }
            w.Line($"// Layer {n}: {pool.Declaration}: {CpuInput(pool)} (n, {pool.Input}) → A{n} (n, {pool.Output}), winners in M{n}");
            w.Line($"global::Dsl.Layers.MaxPool.Forward<T>({CpuInput(pool)}, A{n}, M{n}, count, Layer{n}Shape);");
        }

        public override bool FusesPreviousActivation => true;

        public override void CpuBackward(SourceWriter w, LayerModel layer, LayerModel? previous, LayerModel? next)
        {
            int n = layer.Number;
            if (previous is null)
            {
                w.Line($"// Layer 1: {((MaxPoolLayer)layer).Declaration} has no parameters and nothing before it: no gradient to pass on.");
                return;
            }
            if (PooledInScratch(previous, layer))
            {
                w.Line($"// Layer {n}: {((MaxPoolLayer)layer).Declaration}: routed image by image in layer {n - 1}'s call below.");
                return;
            }
            w.Line($"// Layer {n}: dA{n - 1} (n, {layer.Input}) = dA{n} routed to each window's winner M{n}, zero elsewhere{Through(previous)}");
            w.Line($"global::Dsl.Layers.MaxPool.Backward<T>(dA{n}, M{n}, A{n - 1}, dA{n - 1}, count, Layer{n}Shape, {ActivationName(previous.Activation)});");
        }

        public override void GpuKernelFields(SourceWriter w, LayerModel layer)
        {
            int n = layer.Number;
            w.Line($"private readonly {KernelType(FloatView, FloatView, IntView)} _layer{n}Forward;");
            if (n > 1) w.Line($"private readonly {KernelType(FloatView, IntView, FloatView, FloatView)} _layer{n}InputGradient;");
        }

        public override void GpuLoadKernels(SourceWriter w, LayerModel layer)
        {
            int n = layer.Number;
            LoadKernel(w, $"_layer{n}Forward", $"Layer{n}Forward", FloatView, FloatView, IntView);
            if (n > 1) LoadKernel(w, $"_layer{n}InputGradient", $"Layer{n}InputGradient", FloatView, IntView, FloatView, FloatView);
        }

        public override void GpuForward(SourceWriter w, LayerModel layer)
        {
            var pool = (MaxPoolLayer)layer;
            int n = pool.Number;
            w.Line($"// Layer {n}: {pool.Declaration}, one thread per output (n × {pool.Output})");
            w.Line($"_layer{n}Forward(count * {Sizes.Of(pool.Output.Size)}, {GpuInput(pool)}, A{n}.View, M{n}.View);");
        }

        public override void GpuBackward(SourceWriter w, LayerModel layer, LayerModel? previous)
        {
            if (previous is null) return; // nothing to pass on
            int n = layer.Number;
            w.Line($"// Layer {n}: dA{n - 1}{Through(previous)}, one thread per input (n × {layer.Input})");
            w.Line($"_layer{n}InputGradient(count * {Sizes.Of(layer.Input.Size)}, dA{n}.View, M{n}.View, A{n - 1}.View, dA{n - 1}.View);");
        }

        public override void GpuKernels(SourceWriter w, LayerModel layer, LayerModel? previous)
        {
            int n = layer.Number;
            w.Line($"private static void Layer{n}Forward(global::ILGPU.Index1D index, {FloatView} x, {FloatView} y, {IntView} winners) =>");
            w.Line($"    global::Dsl.Layers.MaxPool.ForwardKernel(index, x, y, winners, Layer{n}Shape);");
            if (previous is not null)
            {
                w.Line();
                w.Line($"private static void Layer{n}InputGradient(global::ILGPU.Index1D index, {FloatView} outputGradient, {IntView} winners, {FloatView} x, {FloatView} inputGradient) =>");
                w.Line($"    global::Dsl.Layers.MaxPool.BackwardKernel(index, outputGradient, winners, x, inputGradient, Layer{n}Shape, {ActivationName(previous.Activation)});");
            }
        }
    }
}
