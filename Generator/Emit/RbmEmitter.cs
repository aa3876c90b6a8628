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

        public override void CpuFields(SourceWriter w, LayerModel layer)
        {
            int n = layer.Number;
            var rbm = (RbmLayer)layer;
            w.Line($"// Layer {n} pre-training: hidden means of the data, hidden samples, the Gibbs chain's visible means, visible");
            w.Line($"// samples and hidden means, the persistent chain (PCD), scratch for the pseudo-likelihood, updates so far.");
            w.Line($"private readonly T[] Rbm{n}HiddenMeans0, Rbm{n}Hidden, Rbm{n}VisibleMeans, Rbm{n}Visible, Rbm{n}HiddenMeans, Rbm{n}Chain, Rbm{n}Scratch; // (n, {rbm.Hidden}) or (n, {rbm.Visible})");
            w.Line($"private uint _rbm{n}Updates;");
        }

        public override void CpuAllocate(SourceWriter w, LayerModel layer)
        {
            int n = layer.Number;
            string hidden = "batchCapacity * " + Sizes.Of(layer.Output.Size), visible = "batchCapacity * " + Sizes.Of(layer.Input.Size);
            w.Line($"Rbm{n}HiddenMeans0 = new T[{hidden}]; Rbm{n}Hidden = new T[{hidden}]; Rbm{n}HiddenMeans = new T[{hidden}]; Rbm{n}Chain = new T[{hidden}];");
            w.Line($"Rbm{n}VisibleMeans = new T[{visible}]; Rbm{n}Visible = new T[{visible}];");
            w.Line($"Rbm{n}Scratch = new T[global::Dsl.Layers.Rbm.PseudoLikelihoodScratchLength(batchCapacity, {Sizes.Of(layer.Input.Size)}, {Sizes.Of(layer.Output.Size)})];");
        }

        public override void CpuMethods(SourceWriter w, LayerModel layer, NetworkModel network)
        {
            var rbm = (RbmLayer)layer;
            int n = rbm.Number;
            string v = Sizes.Of(rbm.Visible), h = Sizes.Of(rbm.Hidden), streams = Sizes.Of((long)n * StreamsPerLayer);
            string sigmoid = ActivationName(ActivationKind.Sigmoid);
            string data = n == 1 ? "images" : $"new global::System.ReadOnlySpan<T>(A{n - 1}, 0, count * {v})";

            w.Line($"/// <summary>");
            w.Line($"/// Layer {n}, {rbm.Declaration}: one update of contrastive divergence with <paramref name=\"gibbsSteps\"/> Gibbs");
            w.Line($"/// steps (CD-k, or PCD-k when <paramref name=\"persistent\"/>) on <paramref name=\"count\"/> images; returns the");
            w.Line($"/// monitoring cost: the pseudo-log-likelihood for PCD, the reconstruction cross-entropy for CD.");
            w.Line($"/// </summary>");
            w.Open($"private T PretrainLayer{n}(global::System.ReadOnlySpan<T> images, int count, T learningRate, int gibbsSteps, bool persistent)");
            if (n > 1)
            {
                w.Line($"// The visible data: {(n == 2 ? "layer 1" : $"layers 1–{n - 1}")} forward, mean-field (each RBM below passes on its hidden means).");
                foreach (LayerModel below in network.Layers.Take(n - 1)) For(below).CpuForward(w, below);
            }
            w.Line($"global::System.ReadOnlySpan<T> v0 = {data}; // (n, {v})");
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
            w.Line($"// The gradient of mean F(v0) − mean F(vk), the chain's end vk held constant; then a plain SGD step.");
            w.Line($"global::Dsl.Layers.Rbm.Gradient<T>(v0, Rbm{n}HiddenMeans0, Rbm{n}Visible, Rbm{n}HiddenMeans, dW{n}, dVB{n}, dB{n}, count, {v}, {h});");
            foreach (string p in new[] { "W", "B", "VB" })
                w.Line($"global::Dsl.Layers.Sgd.Step<T>({p}{n}, d{p}{n}, v{p}{n}, learningRate, T.Zero);");
            w.Line();
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
    }
}
