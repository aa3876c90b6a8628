using Dsl.Generator.Emit;
using Dsl.Generator.Model;
using Dsl.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Dsl.Generator
{
    /// <summary>
    /// Turns every class declared with [Input] and layer attributes into a trainable network.
    /// The pipeline only wires steps; parsing lives in <see cref="NetworkParser"/>, emitting in <see cref="NetworkEmitter"/>.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class NetworkGenerator : IIncrementalGenerator
    {
        // Classes and record classes; a struct with [Input] is already a compiler error (the attribute targets classes).
        private static bool IsClass(SyntaxNode node) =>
            node is ClassDeclarationSyntax || node is RecordDeclarationSyntax record && !record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword);

        /// <summary>Tracking names, so tests can check what the incremental cache served.</summary>
        public static class Steps
        {
            public const string Networks = nameof(Networks);
            public const string Models = nameof(Models);
            public const string MissingInputs = nameof(MissingInputs);
        }

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            // 1. Every class that carries [Input] becomes a value-equal parse result: a model and its diagnostics.
            IncrementalValuesProvider<ParseResult> networks = context.SyntaxProvider
                .ForAttributeWithMetadataName(NetworkParser.InputAttributeName,
                    static (node, _) => IsClass(node),
                    static (ctx, ct) => NetworkParser.Parse(ctx, ct))
                .WithTrackingName(Steps.Networks);

            // 2. Diagnostics on their own branch, so a change in them never re-emits code and vice versa.
            context.RegisterSourceOutput(networks.Select(static (r, _) => r.Diagnostics), static (spc, diagnostics) =>
            {
                foreach (DiagnosticInfo diagnostic in diagnostics) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            });

            // 3. Each network without errors becomes one source file.
            IncrementalValuesProvider<NetworkModel> models = networks
                .Select(static (r, _) => r.Network!)
                .Where(static n => n is not null)
                .WithTrackingName(Steps.Models);
            context.RegisterSourceOutput(models, static (spc, network) =>
                spc.AddSource(NetworkEmitter.HintName(network), NetworkEmitter.Emit(network)));

            // 4. Classes with layers but no [Input] would otherwise be ignored silently: one pipeline per layer kind.
            foreach (string layerAttribute in NetworkParser.LayerAttributeNames)
            {
                IncrementalValuesProvider<DiagnosticInfo> missing = context.SyntaxProvider
                    .ForAttributeWithMetadataName(layerAttribute,
                        static (node, _) => IsClass(node),
                        static (ctx, ct) => NetworkParser.ParseWithoutInput(ctx, ct)!)
                    .Where(static d => d is not null)
                    .WithTrackingName(Steps.MissingInputs);
                context.RegisterSourceOutput(missing, static (spc, d) => spc.ReportDiagnostic(d.ToDiagnostic()));
            }
        }
    }
}
