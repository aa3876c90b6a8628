using System.Collections.Generic;
using System.Linq;
using Dsl.Generator.Model;

namespace Dsl.Generator.Emit
{
    /// <summary>
    /// An RBM layer: in the network, a Dense Sigmoid layer (its forward, backward and kernels are Dense's); beside
    /// it, a visible bias and the pre-training step, contrastive divergence written out phase by phase.
    /// </summary>
    internal sealed class RbmEmitter : DenseEmitter
    {
        public static new readonly RbmEmitter Instance = new RbmEmitter();

        /// <summary>Random streams: each layer owns 1024; an update's draw d (0: the first hidden sample, 2s − 1 and
        /// 2s: step s's visible and hidden samples) takes stream 1024·layer + d, and the update index is the counter.
        /// Sampling from the model (pictures) takes the last two.</summary>
        public const int StreamsPerLayer = 1024;

        public override IReadOnlyList<ParameterTensor> Parameters(LayerModel layer)
        {
            int n = layer.Number;
            return base.Parameters(layer).Concat(new[]
            {
                new ParameterTensor("VB" + n, new[] { (int)layer.Input.Size }, false, "Layer " + n + " visible biases (pre-training only)",
                    FineTuned: false),
            }).ToArray();
        }

        public override void CpuFields(SourceWriter w, LayerModel layer, LayerModel? next)
        {
            int n = layer.Number;
            var rbm = (RbmLayer)layer;
            w.Line($"// Layer {n} pre-training: hidden means of the data, hidden samples, the Gibbs chain's visible means, visible");
            w.Line($"// samples and hidden means, the persistent chain (PCD), scratch for the update and the pseudo-likelihood,");
            w.Line($"// the data in T (unless T is float), updates so far.");
            w.Line($"private readonly T[] Rbm{n}HiddenMeans0, Rbm{n}Hidden, Rbm{n}VisibleMeans, Rbm{n}Visible, Rbm{n}HiddenMeans, Rbm{n}Chain, Rbm{n}Scratch; // (n, {rbm.Hidden}) or (n, {rbm.Visible})");
            w.Line($"private T[]? _rbm{n}Data;");
            w.Line($"private uint _rbm{n}Updates;");
        }

        public override void CpuAllocate(SourceWriter w, LayerModel layer, LayerModel? next)
        {
            int n = layer.Number;
            string hidden = "batchCapacity * " + Sizes.Of(layer.Output.Size), visible = "batchCapacity * " + Sizes.Of(layer.Input.Size);
            w.Line($"Rbm{n}HiddenMeans0 = new T[{hidden}]; Rbm{n}Hidden = new T[{hidden}]; Rbm{n}HiddenMeans = new T[{hidden}]; Rbm{n}Chain = new T[{hidden}];");
            w.Line($"Rbm{n}VisibleMeans = new T[{visible}]; Rbm{n}Visible = new T[{visible}];");
            w.Line($"Rbm{n}Scratch = new T[global::Dsl.Layers.Rbm.UpdateScratchLength(batchCapacity, {Sizes.Of(layer.Input.Size)}, {Sizes.Of(layer.Output.Size)})]; // the pseudo-likelihood's is half as long");
        }

        public override void CpuMethods(SourceWriter w, LayerModel layer, NetworkModel network)
        {
            var rbm = (RbmLayer)layer;
            int n = rbm.Number;
            string v = Sizes.Of(rbm.Visible), h = Sizes.Of(rbm.Hidden), streams = Sizes.Of((long)n * StreamsPerLayer);
            string sigmoid = ActivationName(ActivationKind.Sigmoid);

            w.Line($"/// <summary>");
            w.Line($"/// Layer {n}, {rbm.Declaration}: one update of contrastive divergence with <paramref name=\"gibbsSteps\"/> Gibbs");
            w.Line($"/// steps (CD-k, or PCD-k when <paramref name=\"persistent\"/>) on <paramref name=\"count\"/> rows of its visible data");
            w.Line($"/// (count, {v}); returns the monitoring cost: the pseudo-log-likelihood for PCD, the reconstruction cross-entropy for CD.");
            w.Line($"/// </summary>");
            w.Open($"private T PretrainLayer{n}(global::System.ReadOnlySpan<float> visible, int count, T learningRate, int gibbsSteps, bool persistent)");
            w.Line($"global::System.ReadOnlySpan<T> v0 = ToT(visible[..(count * {v})], ref _rbm{n}Data); // (n, {v})");
            w.Line($"uint update = _rbm{n}Updates++;");
            w.Line();
            w.Line($"// Positive phase: H0 = σ(v0·W{n} + B{n}) (n, {h}); CD starts its chain from a sample of it, PCD continues its own.");
            w.Line($"global::Dsl.Layers.Dense.Forward<T>(v0, W{n}, B{n}, Rbm{n}HiddenMeans0, count, {v}, {h}, {sigmoid});");
            w.Line($"T[] chain = persistent ? Rbm{n}Chain : Rbm{n}Hidden;");
            w.Line($"if (!persistent) global::Dsl.Layers.Rbm.Sample<T>(Rbm{n}HiddenMeans0, chain, count * {h}, _samplingSeed, {streams}u, update);");
            w.Line();
            w.Line($"// Negative phase: k Gibbs steps h → v ~ σ(h·W{n}ᵀ + VB{n}) → h ~ σ(v·W{n} + B{n}).");
            w.Open("for (int step = 1; step <= gibbsSteps; step++)");
            w.Line($"global::Dsl.Layers.Rbm.VisibleMeans<T>(chain, W{n}, VB{n}, Rbm{n}VisibleMeans, count, {v}, {h});");
            w.Line($"global::Dsl.Layers.Rbm.Sample<T>(Rbm{n}VisibleMeans, Rbm{n}Visible, count * {v}, _samplingSeed, {streams}u + (uint)(2 * step - 1), update);");
            w.Line($"global::Dsl.Layers.Dense.Forward<T>(Rbm{n}Visible, W{n}, B{n}, Rbm{n}HiddenMeans, count, {v}, {h}, {sigmoid});");
            w.Line($"global::Dsl.Layers.Rbm.Sample<T>(Rbm{n}HiddenMeans, chain, count * {h}, _samplingSeed, {streams}u + (uint)(2 * step), update);");
            w.Close();
            w.Line();
            w.Line($"// A plain SGD step down the gradient of mean F(v0) − mean F(vk), the chain's end vk held constant, fused into");
            w.Line($"// one product added straight to W{n}.");
            w.Line($"global::Dsl.Layers.Rbm.Update<T>(v0, Rbm{n}HiddenMeans0, Rbm{n}Visible, Rbm{n}HiddenMeans, W{n}, VB{n}, B{n}, learningRate, Rbm{n}Scratch, count, {v}, {h});");
            w.Line();
            w.Line("// The monitoring cost, as the tutorial prints it.");
            w.Line("return persistent");
            w.Line($"    ? global::Dsl.Layers.Rbm.PseudoLikelihood<T>(v0, W{n}, VB{n}, B{n}, (int)(update % {v}u), Rbm{n}Scratch, count, {v}, {h})");
            w.Line($"    : global::Dsl.Layers.Rbm.ReconstructionCrossEntropy<T>(v0, Rbm{n}VisibleMeans, count, {v});");
            w.Close();
            w.Line();

            w.Line($"/// <summary>Layer {n}: <paramref name=\"steps\"/> Gibbs steps v → h → v from the visible samples in <paramref name=\"state\"/>");
            w.Line($"/// (count, {v}), which it leaves there; the last visible means go to <paramref name=\"means\"/>.</summary>");
            w.Open($"private void GibbsLayer{n}(global::System.Span<float> state, global::System.Span<float> means, int count, int steps, uint sequence)");
            w.Line($"for (int i = 0; i < count * {v}; i++) Rbm{n}Visible[i] = T.CreateChecked(state[i]);");
            w.Open("for (int step = 0; step < steps; step++)");
            w.Line($"uint counter = unchecked(sequence * (uint)steps + (uint)step);");
            w.Line($"global::Dsl.Layers.Dense.Forward<T>(Rbm{n}Visible, W{n}, B{n}, Rbm{n}HiddenMeans, count, {v}, {h}, {sigmoid});");
            w.Line($"global::Dsl.Layers.Rbm.Sample<T>(Rbm{n}HiddenMeans, Rbm{n}Hidden, count * {h}, _samplingSeed, {Sizes.Of((long)(n + 1) * StreamsPerLayer - 2)}u, counter);");
            w.Line($"global::Dsl.Layers.Rbm.VisibleMeans<T>(Rbm{n}Hidden, W{n}, VB{n}, Rbm{n}VisibleMeans, count, {v}, {h});");
            w.Line($"global::Dsl.Layers.Rbm.Sample<T>(Rbm{n}VisibleMeans, Rbm{n}Visible, count * {v}, _samplingSeed, {Sizes.Of((long)(n + 1) * StreamsPerLayer - 1)}u, counter);");
            w.Close();
            w.Open($"for (int i = 0; i < count * {v}; i++)");
            w.Line($"state[i] = float.CreateChecked(Rbm{n}Visible[i]);");
            w.Line($"means[i] = float.CreateChecked(Rbm{n}VisibleMeans[i]);");
            w.Close();
            w.Close();
        }

        public override void GpuFields(SourceWriter w, LayerModel layer)
        {
            int n = layer.Number;
            w.Line($"// Layer {n} pre-training, as on the CPU: hidden means of the data, hidden samples, visible means and samples,");
            w.Line($"// hidden means of the chain, the persistent chain; the monitoring cost's per-unit terms and per-row values,");
            w.Line($"// and a host copy of the latter.");
            w.Line($"private readonly {Buffer} Rbm{n}HiddenMeans0, Rbm{n}Hidden, Rbm{n}VisibleMeans, Rbm{n}Visible, Rbm{n}HiddenMeans, Rbm{n}Chain, Rbm{n}Terms, Rbm{n}RowCost;");
            w.Line($"private readonly float[] _rbm{n}HostRowCost;");
            w.Line($"private uint _rbm{n}Updates;");
        }

        public override void GpuAllocate(SourceWriter w, LayerModel layer)
        {
            int n = layer.Number;
            string v = Sizes.Of(layer.Input.Size), h = Sizes.Of(layer.Output.Size);
            w.Line($"Rbm{n}HiddenMeans0 = Allocate(batchCapacity * {h}); Rbm{n}Hidden = Allocate(batchCapacity * {h}); Rbm{n}HiddenMeans = Allocate(batchCapacity * {h}); Rbm{n}Chain = Allocate(batchCapacity * {h});");
            w.Line($"Rbm{n}VisibleMeans = Allocate(batchCapacity * {v}); Rbm{n}Visible = Allocate(batchCapacity * {v});");
            w.Line($"Rbm{n}Terms = Allocate(batchCapacity * {h}); Rbm{n}RowCost = Allocate(batchCapacity); _rbm{n}HostRowCost = new float[batchCapacity];");
        }

        public override void GpuKernelFields(SourceWriter w, LayerModel layer)
        {
            base.GpuKernelFields(w, layer);
            int n = layer.Number;
            w.Line($"private readonly {KernelType(FloatView, FloatView, FloatView, FloatView)} _rbm{n}VisibleMeans;");
            w.Line($"private readonly {KernelType(FloatView, FloatView, "ulong", "uint", "uint")} _rbm{n}Sample;");
            w.Line($"private readonly {KernelType(FloatView, FloatView, FloatView, FloatView, FloatView, "float", "int")} _rbm{n}WeightUpdate;");
            w.Line($"private readonly {KernelType(FloatView, FloatView, FloatView, "float", "int")} _rbm{n}VisibleBiasUpdate, _rbm{n}HiddenBiasUpdate;");
            w.Line($"private readonly {KernelType(FloatView, FloatView, FloatView)} _rbm{n}CrossEntropy;");
            w.Line($"private readonly {KernelType(FloatView, FloatView, FloatView, FloatView, "int")} _rbm{n}PseudoLikelihoodTerms;");
            w.Line($"private readonly {KernelType(FloatView, FloatView, FloatView, FloatView, "int")} _rbm{n}PseudoLikelihoodRows;");
        }

        public override void GpuLoadKernels(SourceWriter w, LayerModel layer)
        {
            base.GpuLoadKernels(w, layer);
            int n = layer.Number;
            LoadKernel(w, $"_rbm{n}VisibleMeans", $"Layer{n}VisibleMeans", FloatView, FloatView, FloatView, FloatView);
            LoadKernel(w, $"_rbm{n}Sample", "global::Dsl.Layers.Rbm.SampleKernel", FloatView, FloatView, "ulong", "uint", "uint");
            LoadKernel(w, $"_rbm{n}WeightUpdate", $"Layer{n}RbmWeightUpdate", FloatView, FloatView, FloatView, FloatView, FloatView, "float", "int");
            LoadKernel(w, $"_rbm{n}VisibleBiasUpdate", $"Layer{n}RbmVisibleBiasUpdate", FloatView, FloatView, FloatView, "float", "int");
            LoadKernel(w, $"_rbm{n}HiddenBiasUpdate", $"Layer{n}RbmHiddenBiasUpdate", FloatView, FloatView, FloatView, "float", "int");
            LoadKernel(w, $"_rbm{n}CrossEntropy", $"Layer{n}RbmCrossEntropy", FloatView, FloatView, FloatView);
            LoadKernel(w, $"_rbm{n}PseudoLikelihoodTerms", $"Layer{n}RbmPseudoLikelihoodTerms", FloatView, FloatView, FloatView, FloatView, "int");
            LoadKernel(w, $"_rbm{n}PseudoLikelihoodRows", $"Layer{n}RbmPseudoLikelihoodRows", FloatView, FloatView, FloatView, FloatView, "int");
        }

        public override void GpuKernels(SourceWriter w, LayerModel layer, LayerModel? previous)
        {
            base.GpuKernels(w, layer, previous);
            int n = layer.Number;
            string v = Sizes.Of(layer.Input.Size), h = Sizes.Of(layer.Output.Size);
            w.Line();
            w.Line($"private static void Layer{n}VisibleMeans(global::ILGPU.Index1D index, {FloatView} hidden, {FloatView} weights, {FloatView} visibleBias, {FloatView} visibleMeans) =>");
            w.Line($"    global::Dsl.Layers.Rbm.VisibleMeansKernel(index, hidden, weights, visibleBias, visibleMeans, {v}, {h});");
            w.Line();
            w.Line($"private static void Layer{n}RbmWeightUpdate(global::ILGPU.Index1D index, {FloatView} v0, {FloatView} h0Mean, {FloatView} vk, {FloatView} hkMean, {FloatView} weights, float learningRate, int count) =>");
            w.Line($"    global::Dsl.Layers.Rbm.WeightUpdateKernel(index, v0, h0Mean, vk, hkMean, weights, learningRate, count, {v}, {h});");
            w.Line();
            w.Line($"private static void Layer{n}RbmVisibleBiasUpdate(global::ILGPU.Index1D i, {FloatView} v0, {FloatView} vk, {FloatView} visibleBias, float learningRate, int count) =>");
            w.Line($"    global::Dsl.Layers.Rbm.VisibleBiasUpdateKernel(i, v0, vk, visibleBias, learningRate, count, {v});");
            w.Line();
            w.Line($"private static void Layer{n}RbmHiddenBiasUpdate(global::ILGPU.Index1D j, {FloatView} h0Mean, {FloatView} hkMean, {FloatView} hiddenBias, float learningRate, int count) =>");
            w.Line($"    global::Dsl.Layers.Rbm.HiddenBiasUpdateKernel(j, h0Mean, hkMean, hiddenBias, learningRate, count, {h});");
            w.Line();
            w.Line($"private static void Layer{n}RbmCrossEntropy(global::ILGPU.Index1D row, {FloatView} v0, {FloatView} visibleMeans, {FloatView} rowCost) =>");
            w.Line($"    global::Dsl.Layers.Rbm.ReconstructionCrossEntropyKernel(row, v0, visibleMeans, rowCost, {v});");
            w.Line();
            w.Line($"private static void Layer{n}RbmPseudoLikelihoodTerms(global::ILGPU.Index1D index, {FloatView} v, {FloatView} weights, {FloatView} hiddenBias, {FloatView} terms, int bitIndex) =>");
            w.Line($"    global::Dsl.Layers.Rbm.PseudoLikelihoodTermKernel(index, v, weights, hiddenBias, terms, bitIndex, {v}, {h});");
            w.Line();
            w.Line($"private static void Layer{n}RbmPseudoLikelihoodRows(global::ILGPU.Index1D row, {FloatView} v, {FloatView} visibleBias, {FloatView} terms, {FloatView} rowCost, int bitIndex) =>");
            w.Line($"    global::Dsl.Layers.Rbm.PseudoLikelihoodRowKernel(row, v, visibleBias, terms, rowCost, bitIndex, {v}, {h});");
        }

        public override void GpuMethods(SourceWriter w, LayerModel layer, NetworkModel network)
        {
            var rbm = (RbmLayer)layer;
            int n = rbm.Number;
            string v = Sizes.Of(rbm.Visible), h = Sizes.Of(rbm.Hidden), streams = Sizes.Of((long)n * StreamsPerLayer);
            string data = n == 1 ? "Images" : $"A{n - 1}";

            w.Line($"/// <summary>Layer {n}, {rbm.Declaration}: the CPU class's PretrainLayer{n} as kernels.</summary>");
            w.Open($"private float PretrainLayer{n}(global::System.ReadOnlySpan<float> visible, int count, float learningRate, int gibbsSteps, bool persistent)");
            w.Line($"UploadTo({data}, visible[..(count * {v})]);");
            w.Line($"global::ILGPU.ArrayView<float> v0 = {data}.View; // (n, {v})");
            w.Line($"uint update = _rbm{n}Updates++;");
            w.Line();
            w.Line($"// Positive phase, one thread per hidden unit of each row; CD samples it to start its chain.");
            w.Line($"_layer{n}Forward(count * {h}, v0, W{n}.View, B{n}.View, Rbm{n}HiddenMeans0.View);");
            w.Line($"var chain = persistent ? Rbm{n}Chain : Rbm{n}Hidden;");
            w.Line($"if (!persistent) _rbm{n}Sample(count * {h}, Rbm{n}HiddenMeans0.View, chain.View, _samplingSeed, {streams}u, update);");
            w.Line();
            w.Line("// Negative phase: k Gibbs steps, the same random streams as on the CPU.");
            w.Open("for (int step = 1; step <= gibbsSteps; step++)");
            w.Line($"_rbm{n}VisibleMeans(count * {v}, chain.View, W{n}.View, VB{n}.View, Rbm{n}VisibleMeans.View);");
            w.Line($"_rbm{n}Sample(count * {v}, Rbm{n}VisibleMeans.View, Rbm{n}Visible.View, _samplingSeed, {streams}u + (uint)(2 * step - 1), update);");
            w.Line($"_layer{n}Forward(count * {h}, Rbm{n}Visible.View, W{n}.View, B{n}.View, Rbm{n}HiddenMeans.View);");
            w.Line($"_rbm{n}Sample(count * {h}, Rbm{n}HiddenMeans.View, chain.View, _samplingSeed, {streams}u + (uint)(2 * step), update);");
            w.Close();
            w.Line();
            w.Line($"// A plain SGD step down the free-energy gradient, fused (one thread per weight, per visible unit, per hidden unit).");
            w.Line($"_rbm{n}WeightUpdate({Sizes.Of((long)rbm.Visible * rbm.Hidden)}, v0, Rbm{n}HiddenMeans0.View, Rbm{n}Visible.View, Rbm{n}HiddenMeans.View, W{n}.View, learningRate, count);");
            w.Line($"_rbm{n}VisibleBiasUpdate({v}, v0, Rbm{n}Visible.View, VB{n}.View, learningRate, count);");
            w.Line($"_rbm{n}HiddenBiasUpdate({h}, Rbm{n}HiddenMeans0.View, Rbm{n}HiddenMeans.View, B{n}.View, learningRate, count);");
            w.Line();
            w.Line("// The monitoring cost: a value per row on the device (for PCD from a term per hidden unit), their mean on the host.");
            w.Open("if (persistent)");
            w.Line($"int bit = (int)(update % {v}u);");
            w.Line($"_rbm{n}PseudoLikelihoodTerms(count * {h}, v0, W{n}.View, B{n}.View, Rbm{n}Terms.View, bit);");
            w.Line($"_rbm{n}PseudoLikelihoodRows(count, v0, VB{n}.View, Rbm{n}Terms.View, Rbm{n}RowCost.View, bit);");
            w.Close();
            w.Line($"else _rbm{n}CrossEntropy(count, v0, Rbm{n}VisibleMeans.View, Rbm{n}RowCost.View);");
            w.Line($"Download(Rbm{n}RowCost, count, _rbm{n}HostRowCost);");
            w.Line("float total = 0f;");
            w.Line($"for (int row = 0; row < count; row++) total += _rbm{n}HostRowCost[row];");
            w.Line($"return (persistent ? {v}f : 1f) * total / count; // the pseudo-likelihood estimates a sum over the {v} visible units");
            w.Close();
            w.Line();

            w.Line($"/// <summary>Layer {n}: the CPU class's GibbsLayer{n} as kernels.</summary>");
            w.Open($"private void GibbsLayer{n}(global::System.Span<float> state, global::System.Span<float> means, int count, int steps, uint sequence)");
            w.Line($"UploadTo(Rbm{n}Visible, state[..(count * {v})]);");
            w.Open("for (int step = 0; step < steps; step++)");
            w.Line("uint counter = unchecked(sequence * (uint)steps + (uint)step);");
            w.Line($"_layer{n}Forward(count * {h}, Rbm{n}Visible.View, W{n}.View, B{n}.View, Rbm{n}HiddenMeans.View);");
            w.Line($"_rbm{n}Sample(count * {h}, Rbm{n}HiddenMeans.View, Rbm{n}Hidden.View, _samplingSeed, {Sizes.Of((long)(n + 1) * StreamsPerLayer - 2)}u, counter);");
            w.Line($"_rbm{n}VisibleMeans(count * {v}, Rbm{n}Hidden.View, W{n}.View, VB{n}.View, Rbm{n}VisibleMeans.View);");
            w.Line($"_rbm{n}Sample(count * {v}, Rbm{n}VisibleMeans.View, Rbm{n}Visible.View, _samplingSeed, {Sizes.Of((long)(n + 1) * StreamsPerLayer - 1)}u, counter);");
            w.Close();
            w.Line($"Download(Rbm{n}Visible, count * {v}, state);");
            w.Line($"Download(Rbm{n}VisibleMeans, count * {v}, means);");
            w.Close();
        }

        private const string Buffer = "global::ILGPU.Runtime.MemoryBuffer1D<float, global::ILGPU.Stride1D.Dense>";
    }
}
