using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Abstractions;

namespace Dsl.Generator.Tests;

/// <summary>
/// Random attribute stacks from a fixed seed, checked against an oracle written from the attributes' documentation,
/// not from the parser. For every declaration: the generator never throws; every diagnostic it reports lies in the
/// user's source (never in generated code, never without a location); a declaration the oracle rejects gets at least
/// one error on its own source (a DSL error, or the compiler's own for arguments of the wrong type) and no generated
/// code; one the oracle accepts gets no error and a generated file; and no generated file ever has a compiler error
/// or warning.
/// </summary>
public sealed partial class FuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20_240_607;
    private const int Cases = 3_000;
    private const int CasesPerCompilation = 60;

    [Fact]
    public void RandomDeclarations_AreDiagnosedOnTheUserCodeOrCompile()
    {
        var random = new Random(Seed);
        var cases = Enumerable.Range(0, Cases).Select(i => FuzzCase.Random(random, i)).ToList();
        var failures = new List<string>();
        var counts = new Dictionary<Verdict, int>();
        int generated = 0, generatedTotal = 0;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var selection = new CompileSelection();
        foreach (var batch in cases.Chunk(CasesPerCompilation))
        {
            var batchFailures = CheckBatch(batch, selection, out int batchGenerated, out int batchCompiled);
            if (batchFailures is null)
            {
                // The generator threw for the whole batch: find which declarations make it throw.
                foreach (FuzzCase single in batch)
                    failures.AddRange(CheckBatch([single], selection, out _, out _) ?? [$"{single}: the generator threw"]);
                continue;
            }
            failures.AddRange(batchFailures);
            generatedTotal += batchGenerated;
            generated += batchCompiled;
        }
        foreach (FuzzCase c in cases)
            counts[c.Expected] = counts.GetValueOrDefault(c.Expected) + 1;

        output.WriteLine($"{cases.Count} random declarations (seed {Seed}): " +
                         string.Join(", ", counts.OrderBy(p => p.Key).Select(p => $"{p.Value} {p.Key}")) +
                         $"; {generatedTotal} networks generated, {generated} of them compiled; {failures.Count} failures; {clock.Elapsed.TotalSeconds:F1} s, compile {CompileSeconds:F1} s.");
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n\n", failures.Take(8)));
        // The generator must see every kind of declaration, or this test proves little.
        Assert.All([Verdict.Valid, Verdict.DslError, Verdict.CSharpError], v => Assert.True(counts.GetValueOrDefault(v) >= Cases / 20,
            $"only {counts.GetValueOrDefault(v)} cases are {v}"));
    }

    /// <summary>Runs the generator on the batch in one compilation and checks each case; null when it threw.</summary>
    /// <remarks>
    /// Binding generated code costs about 50 ms a network on a small machine, so not every generated file is
    /// compiled: see <see cref="CompileSelection"/>.
    /// </remarks>
    private static List<string>? CheckBatch(IReadOnlyList<FuzzCase> batch, CompileSelection selection,
        out int generatedCount, out int compiledCount)
    {
        generatedCount = compiledCount = 0;
        var trees = batch.Select(c => TestCompilation.Parse(c.Source, $"/src/Case{c.Index}.cs")).ToArray();
        var input = TestCompilation.Create().AddSyntaxTrees(trees);
        GeneratorDriver driver = TestCompilation.CreateDriver()
            .RunGeneratorsAndUpdateCompilation(input, out Compilation compiled, out ImmutableArray<Diagnostic> driverDiagnostics);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        if (result.Exception is not null || driverDiagnostics.Any(d => d.Id is "CS8785" or "AD0001"))
            return null;

        var failures = new List<string>();
        var userTrees = trees.ToDictionary(t => t, t => batch[Array.IndexOf(trees, t)]);
        var generatedByCase = new Dictionary<int, GeneratedSourceResult>();
        foreach (GeneratedSourceResult source in result.GeneratedSources)
        {
            Match match = CaseNumber().Match(source.HintName);
            if (!match.Success)
            {
                failures.Add($"unexpected generated file {source.HintName}");
                continue;
            }
            generatedByCase[int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)] = source;
        }
        generatedCount = generatedByCase.Count;
        var skipped = new List<SyntaxTree>();
        foreach ((int index, GeneratedSourceResult source) in generatedByCase)
        {
            FuzzCase c = batch.First(c => c.Index == index);
            if (selection.Take(c)) compiledCount++;
            else skipped.Add(source.SyntaxTree);
        }
        compiled = compiled.RemoveSyntaxTrees(compiled.SyntaxTrees.Where(t => skipped.Any(s => s.FilePath == t.FilePath)));

        var dslErrors = new Dictionary<FuzzCase, List<Diagnostic>>();
        foreach (Diagnostic d in result.Diagnostics)
        {
            // The generator reports plain-value locations (file path and span), so they are matched by path.
            FileLinePositionSpan where = d.Location.GetLineSpan();
            SyntaxTree? tree = trees.FirstOrDefault(t => t.FilePath == where.Path);
            if (tree is null || d.Location.SourceSpan.End > tree.Length || d.Location.SourceSpan.IsEmpty
                || !userTrees.TryGetValue(tree, out FuzzCase? owner))
            {
                failures.Add($"{d.Id} is not on user code: {d}");
                continue;
            }
            if (d.Severity == DiagnosticSeverity.Error)
                (dslErrors.TryGetValue(owner, out var list) ? list : dslErrors[owner] = []).Add(d);
        }

        // Every compiler diagnostic: errors in the user's trees, and anything at all in generated ones.
        var compilerErrors = new Dictionary<FuzzCase, List<Diagnostic>>();
        var compileClock = System.Diagnostics.Stopwatch.StartNew();
        var all = compiled.GetDiagnostics();
        CompileSeconds += compileClock.Elapsed.TotalSeconds;
        foreach (Diagnostic d in all)
        {
            if (d.Location.SourceTree is not { } tree)
            {
                if (d.Severity == DiagnosticSeverity.Error) failures.Add($"error without a location: {d}");
            }
            else if (userTrees.TryGetValue(tree, out FuzzCase? owner))
            {
                if (d.Severity == DiagnosticSeverity.Error)
                    (compilerErrors.TryGetValue(owner, out var list) ? list : compilerErrors[owner] = []).Add(d);
            }
            else if (d.Severity >= DiagnosticSeverity.Warning)
            {
                string line = tree.GetText().Lines[d.Location.GetLineSpan().StartLinePosition.Line].ToString().Trim();
                Match match = CaseNumber().Match(tree.FilePath);
                string which = match.Success ? batch.First(c => c.Index.ToString(CultureInfo.InvariantCulture) == match.Groups[1].Value).ToString() : tree.FilePath;
                failures.Add($"generated code does not compile: {d}\n    {line}\n  from {which}");
            }
        }

        foreach (FuzzCase c in batch)
        {
            var dsl = dslErrors.GetValueOrDefault(c) ?? [];
            var csharp = compilerErrors.GetValueOrDefault(c) ?? [];
            bool hasCode = generatedByCase.ContainsKey(c.Index);
            string problem = c.Expected switch
            {
                Verdict.Valid when dsl.Count > 0 || csharp.Count > 0 => "valid, but got errors",
                Verdict.Valid when !hasCode => "valid, but nothing was generated",
                Verdict.DslError when dsl.Count == 0 => "invalid, but the generator reported no error",
                Verdict.DslError when hasCode => "invalid, but code was generated",
                Verdict.CSharpError when dsl.Count + csharp.Count == 0 => "not valid C#, but no error at all",
                Verdict.NotANetwork when dsl.Count > 0 || hasCode => "no attributes, but the generator acted",
                _ => "",
            };
            if (problem.Length > 0)
                failures.Add($"{c}: {problem}" + string.Concat(dsl.Concat(csharp).Select(d => $"\n    {d}")));
        }
        return failures;
    }

    private static double CompileSeconds;

    /// <summary>Which generated files are compiled: the first of each <see cref="FuzzCase.Structure"/> (input rank,
    /// layer kinds, activations, named arguments: what decides which code is emitted), up to
    /// <see cref="MaxStructures"/>, and up to <see cref="MaxBig"/> with a size of 2^16 or more (where the constant
    /// arithmetic in the generated code could overflow).</summary>
    private sealed class CompileSelection
    {
        private const int MaxStructures = 220, MaxBig = 40;
        private readonly HashSet<string> structures = [];
        private int big;

        public bool Take(FuzzCase c) =>
            (structures.Count < MaxStructures && structures.Add(c.Structure)) || (c.HasBigSize && big++ < MaxBig);
    }

    [GeneratedRegex(@"Case(\d+)")]
    private static partial Regex CaseNumber();

    /// <summary>What the oracle expects of a declaration.</summary>
    internal enum Verdict
    {
        /// <summary>A network: generated, compiles, no diagnostics.</summary>
        Valid,
        /// <summary>Valid C#, but a network that cannot work: at least one DSL error on the declaration.</summary>
        DslError,
        /// <summary>The compiler rejects the attributes or the type: some error on the declaration.</summary>
        CSharpError,
        /// <summary>No network attributes at all: nothing to report.</summary>
        NotANetwork,
    }

    /// <summary>An attribute argument as written: an int, an <c>Activation</c> (<see cref="IsActivation"/>), or
    /// neither (<see cref="Value"/> null: a string, a double, which the compiler rejects).</summary>
    private sealed record Arg(string Text, long? Value, bool IsActivation = false)
    {
        public static Arg Int(long value) => new(value < 0 ? $"({Invariant(value)})" : Invariant(value), value);
        public static Arg Bad(string text) => new(text, null);

        /// <summary>Whether it converts to a parameter of that type: only the constant 0 converts from int to an enum.</summary>
        public bool Fits(bool activationParameter) =>
            Value is long v && v >= int.MinValue && v <= int.MaxValue && (activationParameter ? IsActivation || Text == "0" : !IsActivation);
    }

    private sealed class Attr(string kind)
    {
        public string Kind { get; set; } = kind;
        public List<Arg> Positional { get; } = [];
        public List<(string Name, Arg Value)> Named { get; } = [];

        public override string ToString()
        {
            var args = Positional.Select(a => a.Text).Concat(Named.Select(n => $"{n.Name} = {n.Value.Text}")).ToList();
            return args.Count == 0 ? Kind : $"{Kind}({string.Join(", ", args)})";
        }
    }

    private readonly record struct Shape(long Channels, long Height, long Width, bool IsImage)
    {
        public long Size => Channels * Height * Width;
    }

    /// <summary>One random declaration and the oracle's verdict on it.</summary>
    internal sealed class FuzzCase
    {
        private static readonly long[] HostileSizes = [0, -1, -7, int.MaxValue, 1 << 20, 65536, int.MinValue, 3];
        private static readonly string[] BadArguments = ["\"4\"", "1.5", "2L", "true", "null", "4f", "4m", "Dsl.Activation", "Undefined"];

        private FuzzCase(int index, string source, Verdict expected, string summary, string structure, bool hasBigSize) =>
            (Index, Source, Expected, Summary, Structure, HasBigSize) = (index, source, expected, summary, structure, hasBigSize);

        /// <summary>What decides the shape of the generated code: the input's rank, each layer's kind, activation and
        /// named arguments, in order; sizes left out.</summary>
        public string Structure { get; }

        /// <summary>Whether some argument is 2^16 or more in magnitude.</summary>
        public bool HasBigSize { get; }

        public int Index { get; }
        public string Source { get; }
        public Verdict Expected { get; }
        private string Summary { get; }

        public override string ToString() => $"case {Index} ({Expected}): {Summary}";

        public static FuzzCase Random(Random random, int index)
        {
            List<Attr> attributes = PlausibleNetwork(random);
            int mutations = random.Next(4) switch { 0 => 0, 1 => 1, 2 => 1 + random.Next(2), _ => random.Next(5) };
            string typeKind = "partial class", typeParameters = "", name = "Net";
            bool nested = false;
            for (int m = 0; m < mutations; m++)
            {
                Attr? some = attributes.Count == 0 ? null : attributes[random.Next(attributes.Count)];
                switch (random.Next(13))
                {
                    case 0 when some is not null && some.Positional.Count > 0: // a hostile size
                        some.Positional[random.Next(some.Positional.Count)] = Arg.Int(HostileSizes[random.Next(HostileSizes.Length)]);
                        break;
                    case 1 when some is not null && some.Kind is "Dense" or "Conv": // an activation out of range
                        int position = some.Kind == "Dense" ? 1 : 3;
                        while (some.Positional.Count <= position) some.Positional.Add(Arg.Int(1));
                        long value = new long[] { 5, 99, -1, 4, 0, 2 }[random.Next(6)];
                        some.Positional[position] = new Arg($"(Activation)({Invariant(value)})", value, IsActivation: true);
                        break;
                    case 2 when attributes.Count >= 2: // swap two attributes
                        int a = random.Next(attributes.Count), b = random.Next(attributes.Count);
                        (attributes[a], attributes[b]) = (attributes[b], attributes[a]);
                        break;
                    case 3 when some is not null: // drop one
                        attributes.Remove(some);
                        break;
                    case 4: // another random layer anywhere, valid or not where it lands
                        attributes.Insert(random.Next(attributes.Count + 1), RandomLayer(random));
                        break;
                    case 5 when some is not null && some.Positional.Count > 0: // an argument the compiler rejects
                        some.Positional[random.Next(some.Positional.Count)] = Arg.Bad(BadArguments[random.Next(BadArguments.Length)]);
                        break;
                    case 6 when some is not null: // one argument too many or too few
                        if (random.Next(2) == 0 || some.Positional.Count == 0) some.Positional.Add(Arg.Int(random.Next(1, 4)));
                        else some.Positional.RemoveAt(random.Next(some.Positional.Count));
                        break;
                    case 7 when some is not null: // a named argument, settable or not
                        string[] names = ["Stride", "Padding", "Units", "Size", "Foo", "Activation", "GibbsSteps", "Epochs", "LearningRate", "Persistent"];
                        some.Named.Add((names[random.Next(names.Length)],
                            random.Next(5) == 0 ? Arg.Bad("\"1\"") : Arg.Int(new long[] { 0, -1, 1, 2, 3, int.MaxValue }[random.Next(6)])));
                        break;
                    case 8: // the type
                        typeKind = new[]
                        {
                            "class", "partial record", "partial record class", "partial struct", "partial record struct",
                            "static partial class", "abstract partial class", "sealed partial class", "partial interface",
                            "file partial class", "public partial class", "internal sealed partial class",
                        }[random.Next(12)];
                        break;
                    case 9:
                        typeParameters = random.Next(2) == 0 ? "<T>" : "<TIn, TOut>";
                        break;
                    case 10:
                        nested = true;
                        break;
                    case 11:
                        name = new[] { "Info", "Cpu", "Gpu", "T", "Create", "@event", "Net2", "Classes" }[random.Next(8)];
                        break;
                    case 12: // a second [Input], or an [Input] elsewhere
                        attributes.Insert(random.Next(attributes.Count + 1), RandomInput(random));
                        break;
                }
            }

            var text = new StringBuilder();
            foreach (Attr attribute in attributes)
                text.Append(random.Next(3) == 0 ? " " : "\n    ").Append('[').Append(attribute).Append(']');
            string declaration = $"{text}\n    {typeKind} {name}{typeParameters} {{ }}";
            if (nested) declaration = $"partial class Outer\n    {{{declaration.Replace("\n", "\n    ")}\n    }}";
            string source = $"using Dsl;\nusing static Dsl.Activation;\n\nnamespace Fuzz.Case{index}\n{{{declaration}\n}}\n";

            Verdict verdict = Judge(attributes, typeKind, typeParameters, name, nested);
            string structure = string.Join(" ", attributes.Select(a => a.Kind == "Input"
                ? $"Input/{a.Positional.Count}"
                : $"{a.Kind}/{(a.Positional.FirstOrDefault(p => p.IsActivation)?.Value ?? -1)}/{string.Join(",", a.Named.Select(n => n.Name + (n.Value.Value == 1 ? "1" : "")))}"));
            bool big = attributes.Any(a => a.Positional.Concat(a.Named.Select(n => n.Value)).Any(p => Math.Abs(p.Value ?? 0) >= 1 << 16));
            return new FuzzCase(index, source, verdict, source.Replace("\n", " ").Replace("    ", ""), structure, big);
        }

        /// <summary>The oracle: what the attribute and type documentation says of this declaration.</summary>
        private static Verdict Judge(List<Attr> attributes, string typeKind, string typeParameters, string name, bool nested)
        {
            if (attributes.Count == 0) return Verdict.NotANetwork;
            bool isClass = !typeKind.Contains("struct") && !typeKind.Contains("interface");
            if (!isClass || attributes.Count(a => a.Kind == "Input") > 1 || attributes.Any(a => !BindsInCSharp(a)))
                return Verdict.CSharpError;

            bool ok = typeKind.Contains("partial") && !typeKind.StartsWith("file") && typeParameters.Length == 0 && !nested
                      && name is not ("Info" or "Cpu" or "Gpu" or "T" or "Create" or "Classes")
                      && attributes[0].Kind == "Input" && attributes.Count >= 2;
            if (!ok) return Verdict.DslError;

            Attr input = attributes[0];
            long[] sizes = input.Positional.Select(a => a.Value!.Value).ToArray();
            if (sizes.Any(s => s <= 0)) return Verdict.DslError;
            Shape shape = sizes.Length == 1 ? new Shape(1, 1, sizes[0], false) : new Shape(sizes[0], sizes[1], sizes[2], true);
            if (shape.Size > int.MaxValue) return Verdict.DslError;

            for (int i = 1; i < attributes.Count; i++)
            {
                Attr layer = attributes[i];
                long[] args = layer.Positional.Select(a => a.Value!.Value).ToArray();
                long Named(string key, long fallback) => layer.Named.Where(n => n.Name == key).Select(n => n.Value.Value!.Value).DefaultIfEmpty(fallback).Single();
                bool last = i == attributes.Count - 1;
                switch (layer.Kind)
                {
                    case "Dense":
                        long activation = args.Length > 1 ? args[1] : 0;
                        if (activation is < 0 or > 4 || (activation == 4) != last) return Verdict.DslError;
                        if (args[0] <= 0 || (activation == 4 && args[0] < 2) || shape.Size * args[0] > int.MaxValue) return Verdict.DslError;
                        shape = new Shape(1, 1, args[0], false);
                        break;
                    case "Conv":
                        long convActivation = args.Length > 3 ? args[3] : 0;
                        if (convActivation is < 0 or > 3 || last || !shape.IsImage) return Verdict.DslError;
                        long kh = args[0], kw = args[1], filters = args[2], stride = Named("Stride", 1), padding = Named("Padding", 0);
                        if (kh <= 0 || kw <= 0 || filters <= 0 || stride <= 0 || padding < 0) return Verdict.DslError;
                        if (kh > shape.Height + 2 * padding || kw > shape.Width + 2 * padding) return Verdict.DslError;
                        long height = (shape.Height + 2 * padding - kh) / stride + 1, width = (shape.Width + 2 * padding - kw) / stride + 1;
                        if (filters * shape.Channels * kh * kw > int.MaxValue || filters * height * width > int.MaxValue) return Verdict.DslError;
                        shape = new Shape(filters, height, width, true);
                        break;
                    case "MaxPool":
                        long size = args[0], poolStride = Named("Stride", size);
                        if (last || !shape.IsImage || size <= 0 || poolStride <= 0) return Verdict.DslError;
                        if (size > shape.Height || size > shape.Width) return Verdict.DslError;
                        if ((shape.Height - size) % poolStride != 0 || (shape.Width - size) % poolStride != 0) return Verdict.DslError;
                        shape = shape with { Height = (shape.Height - size) / poolStride + 1, Width = (shape.Width - size) / poolStride + 1 };
                        break;
                    case "Rbm":
                        long hidden = args[0], gibbsSteps = Named("GibbsSteps", 1), epochs = Named("Epochs", 100), rate = Named("LearningRate", 1);
                        if (last || attributes[i - 1].Kind is not ("Input" or "Rbm")) return Verdict.DslError;
                        if (hidden <= 0 || gibbsSteps is < 1 or > 500 || epochs < 0 || rate <= 0) return Verdict.DslError;
                        if (shape.Size * hidden > int.MaxValue) return Verdict.DslError;
                        shape = new Shape(1, 1, hidden, false);
                        break;
                    default: // a second [Input] is a compiler error, handled above
                        return Verdict.DslError;
                }
            }
            return Verdict.Valid;
        }

        /// <summary>Whether the compiler binds the attribute to a constructor and settable properties.</summary>
        private static bool BindsInCSharp(Attr attribute)
        {
            int activationAt = attribute.Kind switch { "Dense" => 1, "Conv" => 3, _ => -1 };
            if (attribute.Positional.Where((a, i) => !a.Fits(i == activationAt)).Any()) return false;
            if (attribute.Named.Any(n => !n.Value.Fits(activationParameter: false))) return false;
            if (attribute.Named.Select(n => n.Name).Distinct().Count() != attribute.Named.Count) return false;
            int count = attribute.Positional.Count;
            // The fuzz's named values are whole numbers: they bind to int properties, and to LearningRate (a double).
            string[] settable = attribute.Kind switch
            {
                "Conv" => ["Stride", "Padding"], "MaxPool" => ["Stride"], "Rbm" => ["GibbsSteps", "Epochs", "LearningRate"], _ => [],
            };
            if (attribute.Named.Any(n => !settable.Contains(n.Name))) return false;
            return attribute.Kind switch
            {
                "Input" => count is 1 or 3,
                "Dense" => count is 1 or 2,
                "Conv" => count is 3 or 4,
                "MaxPool" => count == 1,
                "Rbm" => count == 1,
                _ => false,
            };
        }

        /// <summary>A network that is usually valid: shapes followed, a Dense Softmax last.</summary>
        private static List<Attr> PlausibleNetwork(Random random)
        {
            var attributes = new List<Attr>();
            Attr input = RandomInput(random);
            attributes.Add(input);
            bool image = input.Positional.Count == 3;
            long height = image ? input.Positional[1].Value!.Value : 1, width = image ? input.Positional[2].Value!.Value : 1;
            if (random.Next(4) == 0) // a Deep Belief Network: RBMs straight after the input
            {
                for (int r = random.Next(1, 3); r > 0; r--)
                {
                    var rbm = Layer("Rbm", random.Next(1, 30));
                    if (random.Next(3) == 0) rbm.Named.Add(("GibbsSteps", Arg.Int(random.Next(1, 16))));
                    if (random.Next(3) == 0) rbm.Named.Add(("Epochs", Arg.Int(random.Next(0, 20))));
                    attributes.Add(rbm);
                }
                image = false;
            }
            int layers = random.Next(0, 5);
            for (int i = 0; i < layers; i++)
            {
                if (image && random.Next(3) > 0)
                {
                    if (random.Next(2) == 0)
                    {
                        int kernel = random.Next(1, (int)Math.Min(height, width) + 1), stride = random.Next(1, 3), padding = random.Next(0, 2);
                        var conv = Layer("Conv", kernel, kernel, random.Next(1, 6));
                        if (random.Next(2) == 0) conv.Positional.Add(ActivationArg(random.Next(4)));
                        if (stride != 1) conv.Named.Add(("Stride", Arg.Int(stride)));
                        if (padding != 0) conv.Named.Add(("Padding", Arg.Int(padding)));
                        attributes.Add(conv);
                        height = (height + 2 * padding - kernel) / stride + 1;
                        width = (width + 2 * padding - kernel) / stride + 1;
                    }
                    else if (height % 2 == 0 && width % 2 == 0)
                    {
                        attributes.Add(Layer("MaxPool", 2));
                        (height, width) = (height / 2, width / 2);
                    }
                }
                else
                {
                    var dense = Layer("Dense", random.Next(1, 40));
                    if (random.Next(3) > 0) dense.Positional.Add(ActivationArg(random.Next(4)));
                    attributes.Add(dense);
                    image = false;
                }
            }
            var last = Layer("Dense", random.Next(2, 12));
            last.Positional.Add(ActivationArg(4));
            attributes.Add(last);
            return attributes;
        }

        private static Attr RandomInput(Random random) =>
            random.Next(2) == 0 ? Layer("Input", random.Next(1, 800)) : Layer("Input", random.Next(1, 4), random.Next(1, 30), random.Next(1, 30));

        private static Attr RandomLayer(Random random) => random.Next(4) switch
        {
            0 => Layer("Dense", random.Next(-1, 20), random.Next(0, 5)),
            1 => Layer("Conv", random.Next(0, 6), random.Next(0, 6), random.Next(0, 5), random.Next(0, 4)),
            2 => Layer("Rbm", random.Next(-1, 20)),
            _ => Layer("MaxPool", random.Next(0, 4)),
        };

        private static Attr Layer(string kind, params long[] args)
        {
            var attribute = new Attr(kind);
            attribute.Positional.AddRange(args.Select((a, i) => (kind, i) is ("Dense", 1) or ("Conv", 3) ? ActivationArg(a) : Arg.Int(a)));
            return attribute;
        }

        private static Arg ActivationArg(long value) =>
            new(new[] { "Identity", "Sigmoid", "Tanh", "Activation.Relu", "Softmax" }[value], value, IsActivation: true);
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
