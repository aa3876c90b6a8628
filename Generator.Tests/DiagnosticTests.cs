using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace Dsl.Generator.Tests;

/// <summary>
/// One test per diagnostic: its id, exact span (markup {|#0:…|}) and message arguments (checked through the
/// generator's own descriptor, so the formatted message must match). Invalid declarations generate no source.
/// </summary>
public sealed class DiagnosticTests
{
    private const string Usings = "using Dsl;\nusing static Dsl.Activation;\n\n";

    [Fact]
    public void EveryDescriptor_HasATest()
    {
        // A new descriptor needs a test here; the ids are DSL0001..DSL0024 with no gaps.
        var expected = Enumerable.Range(1, 24).Select(i => $"DSL{i:0000}");
        Assert.Equal(expected, TestCompilation.DescriptorIds.Order());
        Assert.All(expected, id => Assert.Equal(DiagnosticSeverity.Error, TestCompilation.Descriptor(id).DefaultSeverity));
    }

    [Fact]
    public Task DSL0001_NotPartial_OnClassName() => VerifyAsync("""
        [Input(784)]
        [Dense(10, Softmax)]
        class {|#0:Net|} { }
        """, GeneratorTest.Dsl("DSL0001").WithLocation(0).WithArguments("Net"));

    [Fact]
    public Task DSL0002_MissingInput_OnFirstLayerOnly() => VerifyAsync("""
        [{|#0:Dense(500, Tanh)|}]
        [Dense(10, Softmax)]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0002").WithLocation(0).WithArguments("Net"));

    [Fact]
    public Task DSL0002_MissingInput_ReportedOnce_WhenLayersAreSplitAcrossDeclarations() => VerifyAsync("""
        [{|#0:Dense(500, Tanh)|}]
        partial class Net { }

        [Dense(10, Softmax)]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0002").WithLocation(0).WithArguments("Net"));

    [Fact]
    public Task DSL0002_MissingInput_AlsoWhenTheFirstLayerIsNotADense() => VerifyAsync("""
        sealed class PoolAttribute : LayerAttribute { }

        [{|#0:Pool|}]
        [Dense(10, Softmax)]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0002").WithLocation(0).WithArguments("Net"));

    [Fact]
    public Task DSL0003_NonPositiveUnits_OnDense() => VerifyAsync("""
        [Input(784)]
        [{|#0:Dense(0, Tanh)|}]
        [Dense(10, Softmax)]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0003").WithLocation(0).WithArguments("Dense(0, Tanh)", "units", "0"));

    [Fact]
    public Task DSL0003_NonPositiveInputSizes_OnInput_OncePerSize() => VerifyAsync("""
        [{|#0:Input(1, -28, 0)|}]
        [Dense(10, Softmax)]
        partial class Net { }
        """,
        GeneratorTest.Dsl("DSL0003").WithLocation(0).WithArguments("Input(1, -28, 0)", "height", "-28"),
        GeneratorTest.Dsl("DSL0003").WithLocation(0).WithArguments("Input(1, -28, 0)", "width", "0"));

    [Fact]
    public Task DSL0004_SoftmaxNotLast_OnThatLayer() => VerifyAsync("""
        [Input(784)]
        [{|#0:Dense(500, Softmax)|}]
        [Dense(10, Softmax)]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0004").WithLocation(0).WithArguments("Dense(500, Softmax)", "1", "2"));

    [Fact]
    public Task DSL0005_UnknownActivation_OnDense() => VerifyAsync("""
        [Input(784)]
        [{|#0:Dense(10, (Activation)7)|}]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0005").WithLocation(0).WithArguments("Dense(10, (Activation)7)", "7"));

    [Fact]
    public Task DSL0006_GenericClass_OnClassName() => VerifyAsync("""
        [Input(784)]
        [Dense(10, Softmax)]
        partial class {|#0:Net|}<T> { }
        """, GeneratorTest.Dsl("DSL0006").WithLocation(0).WithArguments("Net"));

    [Fact]
    public Task DSL0007_NestedClass_OnClassName() => VerifyAsync("""
        partial class Outer
        {
            [Input(784)]
            [Dense(10, Softmax)]
            partial class {|#0:Inner|} { }
        }
        """, GeneratorTest.Dsl("DSL0007").WithLocation(0).WithArguments("Inner", "Outer"));

    [Fact]
    public Task DSL0008_NoLayers_OnInput() => VerifyAsync("""
        [{|#0:Input(784)|}]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0008").WithLocation(0).WithArguments("Net"));

    [Fact]
    public Task DSL0009_LastLayerNotSoftmax_OnLastLayer() => VerifyAsync("""
        [Input(784)]
        [Dense(500, Tanh)]
        [{|#0:Dense(10,  Relu)|}]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0009").WithLocation(0).WithArguments("Dense(10, Relu)", "Net")); // whitespace normalised

    [Fact]
    public Task DSL0010_LayersInSeveralDeclarations_OnTheInputDeclarationsName() => VerifyAsync("""
        [Input(784)]
        [Dense(500, Tanh)]
        partial class {|#0:Net|} { }

        [Dense(10, Softmax)]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0010").WithLocation(0).WithArguments("Net"));

    [Fact]
    public Task DSL0011_TooLarge_DenseWeightsOverflowAnArray() => VerifyAsync("""
        [Input(3, 256, 256)]
        [{|#0:Dense(20000, Softmax)|}]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0011").WithLocation(0)
            .WithArguments("Dense(20000, Softmax)", "196608×20000", "weights", "2147483647"));

    [Fact]
    public Task DSL0011_TooLarge_InputOverflowsAnArray() => VerifyAsync("""
        [{|#0:Input(1, 50000, 50000)|}]
        [Dense(10, Softmax)]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0011").WithLocation(0)
            .WithArguments("Input(1, 50000, 50000)", "2500000000", "values per image", "2147483647"));

    [Fact]
    public Task DSL0012_UnsupportedLayer_OnTheUserAttribute() => VerifyAsync("""
        [System.AttributeUsage(System.AttributeTargets.Class)]
        sealed class ConvolutionAttribute : LayerAttribute { }

        [Input(1, 28, 28)]
        [{|#0:Convolution|}]
        [Dense(10, Softmax)]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0012").WithLocation(0).WithArguments("ConvolutionAttribute"));

    [Theory]
    [InlineData("Cpu")]
    [InlineData("Info")]
    [InlineData("Classes")]
    public Task DSL0013_ReservedName_OnClassName(string name) => VerifyAsync($$"""
        [Input(784)]
        [Dense(10, Softmax)]
        partial class {|#0:{{name}}|} { }
        """, GeneratorTest.Dsl("DSL0013").WithLocation(0).WithArguments(name));

    [Fact]
    public async Task DSL0014_DerivesFromNetwork_OnClassName()
    {
        // Base itself is a valid network and gets its file; only Derived is at fault.
        var test = new GeneratorTest
        {
            TestState = { Sources = { Usings + """
                [Input(784)]
                [Dense(10, Softmax)]
                partial class Base { }

                [Input(784)]
                [Dense(10, Softmax)]
                partial class {|#0:Derived|} : Base { }
                """ } },
            TestBehaviors = TestBehaviors.SkipGeneratedSourcesCheck,
        };
        test.ExpectedDiagnostics.Add(GeneratorTest.Dsl("DSL0014").WithLocation(0).WithArguments("Derived", "Base"));
        await test.RunAsync();
    }

    [Fact]
    public Task DSL0015_InputNotFirst_OnInput() => VerifyAsync("""
        [Dense(500, Tanh)]
        [{|#0:Input(784)|}]
        [Dense(10, Softmax)]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0015").WithLocation(0).WithArguments("Input(784)"));

    [Fact]
    public Task DSL0016_FileLocalClass_OnClassName() => VerifyAsync("""
        [Input(784)]
        [Dense(10, Softmax)]
        file partial class {|#0:Net|} { }
        """, GeneratorTest.Dsl("DSL0016").WithLocation(0).WithArguments("Net"));

    [Fact]
    public Task DSL0017_SingleClassSoftmax_OnDense() => VerifyAsync("""
        [Input(784)]
        [{|#0:Dense(1, Softmax)|}]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0017").WithLocation(0).WithArguments("Dense(1, Softmax)"));

    [Fact]
    public Task DSL0018_KernelLargerThanItsInput_OnConv() => VerifyAsync("""
        [Input(1, 28, 28)]
        [Conv(5, 5, 20, Tanh)] [MaxPool(2)]
        [Conv(5, 5, 50, Tanh)] [MaxPool(2)]
        [{|#0:Conv(5, 5, 50, Tanh)|}]
        [Dense(10, Softmax)]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0018").WithLocation(0).WithArguments("Conv(5, 5, 50, Tanh)", "5×5", "50×4×4", ""));

    [Fact]
    public Task DSL0018_PaddingCounts_AndPoolWindowsToo() => VerifyAsync("""
        [Input(1, 3, 3)]
        [{|#0:Conv(6, 6, 4, Relu, Padding = 1)|}]
        [Dense(10, Softmax)]
        partial class A { }

        [Input(2, 3, 3)]
        [{|#1:MaxPool(4)|}]
        [Dense(10, Softmax)]
        partial class B { }
        """,
        GeneratorTest.Dsl("DSL0018").WithLocation(0).WithArguments("Conv(6, 6, 4, Relu, Padding = 1)", "6×6", "1×3×3", " padded by 1"),
        GeneratorTest.Dsl("DSL0018").WithLocation(1).WithArguments("MaxPool(4)", "4×4", "2×3×3", ""));

    [Fact]
    public Task DSL0019_NegativePadding_OnConv() => VerifyAsync("""
        [Input(1, 28, 28)]
        [{|#0:Conv(5, 5, 20, Tanh, Padding = -1)|}]
        [Dense(10, Softmax)]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0019").WithLocation(0).WithArguments("Conv(5, 5, 20, Tanh, Padding = -1)", "Padding", "-1"));

    [Fact]
    public Task DSL0020_PoolRemainder_NamesTheSizesAndTheProducer() => VerifyAsync("""
        [Input(1, 28, 28)]
        [Conv(5, 5, 20, Tanh)] [MaxPool(2)]
        [Conv(5, 5, 50, Tanh)]
        [{|#0:MaxPool(3)|}]
        [Dense(10, Softmax)]
        partial class A { }

        [Input(1, 8, 8)]
        [{|#1:MaxPool(3, Stride = 2)|}]
        [Dense(10, Softmax)]
        partial class B { }
        """,
        GeneratorTest.Dsl("DSL0020").WithLocation(0).WithArguments("MaxPool(3)", "8×8", "Conv(5, 5, 50, Tanh)", "8 is not a multiple of 3"),
        GeneratorTest.Dsl("DSL0020").WithLocation(1).WithArguments("MaxPool(3, Stride = 2)", "8×8", "Input(1, 8, 8)", "8 − 3 is not a multiple of the stride 2"));

    [Fact]
    public Task DSL0021_ConvAfterDense_AndPoolOnAVectorInput() => VerifyAsync("""
        [Input(1, 28, 28)]
        [Dense(500, Tanh)]
        [{|#0:Conv(5, 5, 20, Tanh)|}]
        [Dense(10, Softmax)]
        partial class A { }

        [Input(784)]
        [{|#1:MaxPool(2)|}]
        [Dense(10, Softmax)]
        partial class B { }
        """,
        GeneratorTest.Dsl("DSL0021").WithLocation(0).WithArguments("Conv(5, 5, 20, Tanh)", "Dense(500, Tanh)", "500"),
        GeneratorTest.Dsl("DSL0021").WithLocation(1).WithArguments("MaxPool(2)", "Input(784)", "784"));

    [Fact]
    public Task DSL0022_RbmAfterADenseOrAConv() => VerifyAsync("""
        [Input(784)]
        [Dense(500, Sigmoid)]
        [{|#0:Rbm(200)|}]
        [Dense(10, Softmax)]
        partial class A { }

        [Input(1, 28, 28)]
        [Conv(5, 5, 20, Tanh)]
        [{|#1:Rbm(500)|}]
        [Dense(10, Softmax)]
        partial class B { }
        """,
        GeneratorTest.Dsl("DSL0022").WithLocation(0).WithArguments("Rbm(200)", "Dense(500, Sigmoid)"),
        GeneratorTest.Dsl("DSL0022").WithLocation(1).WithArguments("Rbm(500)", "Conv(5, 5, 20, Tanh)"));

    [Fact]
    public Task DSL0023_GibbsStepsAndLearningRateOutOfRange() => VerifyAsync("""
        [Input(784)]
        [{|#0:Rbm(500, GibbsSteps = 0)|}]
        [{|#1:Rbm(500, GibbsSteps = 501, LearningRate = -0.1)|}]
        [{|#2:Rbm(500, LearningRate = double.NaN)|}]
        [Dense(10, Softmax)]
        partial class Net { }
        """,
        GeneratorTest.Dsl("DSL0023").WithLocation(0).WithArguments("Rbm(500, GibbsSteps = 0)", "GibbsSteps", "between 1 and 500", "0"),
        GeneratorTest.Dsl("DSL0023").WithLocation(1).WithArguments("Rbm(500, GibbsSteps = 501, LearningRate = -0.1)", "GibbsSteps", "between 1 and 500", "501"),
        GeneratorTest.Dsl("DSL0023").WithLocation(1).WithArguments("Rbm(500, GibbsSteps = 501, LearningRate = -0.1)", "LearningRate", "positive and finite", "-0.1"),
        GeneratorTest.Dsl("DSL0023").WithLocation(2).WithArguments("Rbm(500, LearningRate = double.NaN)", "LearningRate", "positive and finite", "NaN"));

    [Fact]
    public Task RbmSizes_NonPositiveHidden_NegativeEpochs_AndRbmLast() => VerifyAsync("""
        [Input(784)]
        [{|#0:Rbm(0, Epochs = -1)|}]
        [{|#1:Rbm(10)|}]
        partial class Net { }
        """,
        GeneratorTest.Dsl("DSL0003").WithLocation(0).WithArguments("Rbm(0, Epochs = -1)", "hidden", "0"),
        GeneratorTest.Dsl("DSL0019").WithLocation(0).WithArguments("Rbm(0, Epochs = -1)", "Epochs", "-1"),
        GeneratorTest.Dsl("DSL0009").WithLocation(1).WithArguments("Rbm(10)", "Net"));

    [Fact]
    public Task ConvSizes_NonPositive_EachNamed() => VerifyAsync("""
        [Input(1, 28, 28)]
        [{|#0:Conv(0, 5, -2, Tanh, Stride = 0)|}]
        [{|#1:MaxPool(0)|}]
        [Dense(10, Softmax)]
        partial class Net { }
        """,
        GeneratorTest.Dsl("DSL0003").WithLocation(0).WithArguments("Conv(0, 5, -2, Tanh, Stride = 0)", "kernelHeight", "0"),
        GeneratorTest.Dsl("DSL0003").WithLocation(0).WithArguments("Conv(0, 5, -2, Tanh, Stride = 0)", "filters", "-2"),
        GeneratorTest.Dsl("DSL0003").WithLocation(0).WithArguments("Conv(0, 5, -2, Tanh, Stride = 0)", "Stride", "0"),
        GeneratorTest.Dsl("DSL0003").WithLocation(1).WithArguments("MaxPool(0)", "size", "0"));

    [Fact]
    public Task ConvOrPoolLast_IsNotAClassifier() => VerifyAsync("""
        [Input(1, 28, 28)]
        [Conv(5, 5, 20, Tanh)]
        [{|#0:MaxPool(2)|}]
        partial class A { }

        [Input(1, 28, 28)]
        [{|#1:Conv(5, 5, 10, Softmax)|}]
        partial class B { }
        """,
        GeneratorTest.Dsl("DSL0009").WithLocation(0).WithArguments("MaxPool(2)", "A"),
        GeneratorTest.Dsl("DSL0009").WithLocation(1).WithArguments("Conv(5, 5, 10, Softmax)", "B"));

    [Fact]
    public Task DSL0002_MissingInput_WhenTheFirstLayerIsAConv() => VerifyAsync("""
        [{|#0:Conv(5, 5, 20, Tanh)|}]
        [MaxPool(2)]
        [Dense(10, Softmax)]
        partial class Net { }
        """, GeneratorTest.Dsl("DSL0002").WithLocation(0).WithArguments("Net"));

    [Fact]
    public Task ActivationRules_AreCheckedEvenAfterABadSize() => VerifyAsync("""
        [Input(784)]
        [{|#0:Dense(-5, Softmax)|}]
        [{|#1:Dense(10, Tanh)|}]
        partial class Net { }
        """,
        GeneratorTest.Dsl("DSL0004").WithLocation(0).WithArguments("Dense(-5, Softmax)", "1", "2"),
        GeneratorTest.Dsl("DSL0003").WithLocation(0).WithArguments("Dense(-5, Softmax)", "units", "-5"),
        GeneratorTest.Dsl("DSL0009").WithLocation(1).WithArguments("Dense(10, Tanh)", "Net"));

    [Fact]
    public Task IndependentMistakes_AreAllReported() => VerifyAsync("""
        [Input(784)]
        [{|#1:Dense(500, Softmax)|}]
        [{|#2:Dense(10, Tanh)|}]
        class {|#0:Net|} { }
        """,
        GeneratorTest.Dsl("DSL0001").WithLocation(0).WithArguments("Net"),
        GeneratorTest.Dsl("DSL0004").WithLocation(1).WithArguments("Dense(500, Softmax)", "1", "2"),
        GeneratorTest.Dsl("DSL0009").WithLocation(2).WithArguments("Dense(10, Tanh)", "Net"));

    [Fact]
    public async Task ValidDeclaration_ReportsNothing()
    {
        // Compiles, with every compiler warning checked; the generated text itself is the baselines' business.
        var test = new GeneratorTest
        {
            TestState = { Sources = { Usings + "[Input(784)] [Dense(500, Tanh)] [Dense(10, Softmax)] partial class Net { }", Sources.ImplicitUsings } },
            TestBehaviors = TestBehaviors.SkipGeneratedSourcesCheck,
        };
        await test.RunAsync();
    }

    [Fact]
    public Task CompileErrorInLayerArgument_OnlyTheCompilersError() => VerifyAsync("""
        [Input(784)]
        [Dense({|CS0103:Foo|}, Tanh)]
        [Dense(10, Softmax)]
        partial class Net { }
        """);

    [Fact]
    public Task CompileErrorInInputArgument_OnlyTheCompilersError() => VerifyAsync("""
        [Input({|CS1503:"784"|})]
        [Dense(10, Softmax)]
        partial class Net { }
        """);

    /// <summary>Half-typed: the class has no name yet. Found by the truncation sweep, which got a network named ""
    /// (code that did not compile) and DSL0001 on an empty span.</summary>
    [Fact]
    public Task ClassWithoutAName_OnlyTheCompilersError() => VerifyAsync("""
        [Input(784)]
        [Dense(10, Softmax)]
        partial class { }
        """, DiagnosticResult.CompilerError("CS1001").WithSpan(6, 15, 6, 16));

    [Theory]
    [InlineData("public static int {|#0:Info|} => 1;", "Info", "the static property Info (the NetworkInfo)")]
    [InlineData("public sealed class {|#0:Cpu|} { }", "Cpu", "the nested class Cpu<T> (the CPU network)")]
    [InlineData("public void {|#0:Create|}(int seed) { }", "Create", "the static method Create(device, batchCapacity, seed)")]
    [InlineData("public const long X = 1, {|#0:ParameterCount|} = 2;", "ParameterCount", "the constant ParameterCount")]
    public Task DSL0024_MemberNameTaken_OnTheUsersMember(string member, string name, string generated) => VerifyAsync($$"""
        [Input(784)]
        [Dense(10, Softmax)]
        partial class Net
        {
            {{member}}
        }
        """, GeneratorTest.Dsl("DSL0024").WithLocation(0).WithArguments("Net", name, generated));

    [Fact]
    public Task DSL0024_MemberNameTaken_OncePerMember_InAnyPartialDeclaration() => VerifyAsync("""
        [Input(784)]
        [Dense(10, Softmax)]
        partial class Net
        {
            public int {|#0:Classes|} { get; set; }
        }

        partial class Net
        {
            class {|#1:Gpu|} { }
            public int T { get; set; } // only a type parameter of the generated classes: allowed
        }
        """,
        GeneratorTest.Dsl("DSL0024").WithLocation(0).WithArguments("Net", "Classes", "the constant Classes"),
        GeneratorTest.Dsl("DSL0024").WithLocation(1).WithArguments("Net", "Gpu", "the nested class Gpu (the ILGPU network)"));

    /// <summary>A second [Input] is the compiler's duplicate-attribute error; it used to add a misleading DSL0012
    /// ("derives from LayerAttribute").</summary>
    [Fact]
    public Task SecondInput_OnlyTheCompilersError() => VerifyAsync("""
        [Input(784)]
        [{|CS0579:Input|}(28, 28, 1)]
        [Dense(10, Softmax)]
        partial class Net { }
        """);

    [Fact]
    public Task MissingInputArgument_OnlyTheCompilersError() => VerifyAsync("""
        [{|CS1729:Input|}]
        [Dense(10, Softmax)]
        partial class Net { }
        """);

    /// <summary>
    /// Runs the generator on <paramref name="declarations"/> (after the usings) and expects exactly
    /// <paramref name="expected"/>, compiler diagnostics included, and no generated source.
    /// </summary>
    private static async Task VerifyAsync(string declarations, params DiagnosticResult[] expected)
    {
        var test = new GeneratorTest { TestState = { Sources = { Usings + declarations } } };
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }
}
