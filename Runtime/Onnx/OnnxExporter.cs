using System.Globalization;
using System.Reflection;
using Dsl.Checkpoints;

namespace Dsl.Onnx;

/// <summary>
/// Writes a network as an ONNX model (opset 13, IR version 7) that ONNX Runtime and other ONNX tools run as they are:
/// input "images" of float32 (N, channels, height, width), or (N, features) for a flat input, with N symbolic; output
/// "probabilities" (N, classes); the trained parameters as initializers under their generated names ("W1", "B1", …).
/// The graph is built from <see cref="NetworkInfo.Layers"/>, the description the source generator emits from the model it
/// generates the network from, so the exported graph and the generated code come from the same declaration.
/// </summary>
/// <remarks>
/// Layers become: Dense → Gemm (with Flatten(axis = 1) before it when its input is an image, which is the channel-major
/// flattening the network does); Conv → Conv (kernel_shape, strides, pads); MaxPool → MaxPool (kernel_shape, strides);
/// then the activation: Sigmoid, Tanh, Relu, or Softmax(axis = 1); Identity adds nothing.
/// </remarks>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set the graph uses (the default domain).</summary>
    public const int OpsetVersion = 13;

    /// <summary>The ONNX IR version that goes with <see cref="OpsetVersion"/>.</summary>
    public const int IrVersion = 7;

    /// <summary>Name of the graph's input, float32 (N, C, H, W) or (N, features).</summary>
    public const string InputName = "images";

    /// <summary>Name of the graph's output, float32 (N, classes), each row summing to 1.</summary>
    public const string OutputName = "probabilities";

    /// <summary>Name of the symbolic batch dimension of the input and the output.</summary>
    public const string BatchDimension = "N";

    /// <summary>
    /// Writes <paramref name="network"/> (CPU or GPU) as an ONNX model to <paramref name="path"/>, replacing a file there
    /// only once the new one is completely on disk (it is written to a temporary file in the same folder, flushed and
    /// renamed over the target).
    /// </summary>
    /// <exception cref="NotSupportedException">A layer has no ONNX form, or the network is not a generated one.</exception>
    /// <exception cref="IOException">The file could not be written; a previous file at the path is unchanged.</exception>
    public static void Save(INetwork network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ProtoWriter model = BuildModel(network); // before touching the disk: a network that cannot be exported leaves no file
        string full = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                model.CopyTo(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>The ONNX model of <paramref name="network"/> as bytes (what <see cref="Save"/> writes).</summary>
    /// <exception cref="NotSupportedException">A layer has no ONNX form, or the network is not a generated one.</exception>
    public static byte[] ToBytes(INetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return BuildModel(network).ToArray();
    }

    /// <summary>Writes the network as an ONNX model to <paramref name="path"/>; see <see cref="Save"/>.</summary>
    public static void ExportOnnx(this INetwork network, string path) => Save(network, path);

    private static ProtoWriter BuildModel(INetwork network)
    {
        NetworkInfo info = network.Info;
        ParameterAccess access = ParameterAccess.For(network);
        var graph = new GraphBuilder(info, access);
        foreach ((LayerInfo layer, int number) in info.Layers.Select((layer, i) => (layer, i + 1)))
            graph.Add(layer, number);
        string version = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "0";

        // ModelProto: ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7, opset_import 8, metadata_props 14.
        var model = new ProtoWriter();
        model.Varint(1, IrVersion)
            .String(2, "Dsl")
            .String(3, version)
            .String(6, $"{info.Name}: {info.Summary}")
            .Message(7, graph.Write)
            .Message(8, opset => opset.Varint(2, OpsetVersion)) // OperatorSetIdProto: domain 1 (empty: ONNX), version 2
            .Message(14, entry => entry.String(1, "dsl.network").String(2, info.Name)) // StringStringEntryProto: key 1, value 2
            .Message(14, entry => entry.String(1, "dsl.architecture").String(2, info.Summary));
        return model;
    }

    /// <summary>One node of the graph: NodeProto's input 1, output 2, name 3, op_type 4, attribute 5.</summary>
    private sealed class Node(string opType, string name, string[] inputs, string output)
    {
        public string Output { get; set; } = output;
        public List<(string Name, long[] Values, bool IsList)> Attributes { get; } = [];

        public Node Int(string attribute, long value)
        {
            Attributes.Add((attribute, [value], false));
            return this;
        }

        public Node Ints(string attribute, params long[] values)
        {
            Attributes.Add((attribute, values, true));
            return this;
        }

        public void Write(ProtoWriter node)
        {
            foreach (string input in inputs) node.String(1, input);
            node.String(2, Output).String(3, name).String(4, opType);
            // AttributeProto: name 1, i 3, ints 8, type 20 (INT = 2, INTS = 7).
            foreach ((string attribute, long[] values, bool isList) in Attributes)
                node.Message(5, a => (isList ? a.String(1, attribute).Varints(8, values) : a.String(1, attribute).Varint(3, values[0]))
                    .Varint(20, isList ? 7 : 2));
        }
    }

    /// <summary>Turns the layers into nodes, and their parameters into initializers, one layer at a time.</summary>
    private sealed class GraphBuilder
    {
        private const int FloatType = 1; // TensorProto.DataType.FLOAT
        private readonly NetworkInfo _info;
        private readonly ParameterAccess _access;
        private readonly List<Node> _nodes = [];
        private readonly List<int> _initializers = []; // indices into _access.Shapes
        private readonly int[] _inputDimensions;
        private string _current = InputName;
        private int[] _currentDimensions;

        public GraphBuilder(NetworkInfo info, ParameterAccess access)
        {
            _info = info;
            _access = access;
            if (info.Layers.Count == 0) throw new NotSupportedException($"{info.Name} has no layers to export.");
            _inputDimensions = [.. info.Layers[0].InputDimensions];
            if (_inputDimensions.Length == 0)
                throw NotDescribed(info.Layers[0], 1);
            if (Product(_inputDimensions) != info.InputSize)
                throw new InvalidOperationException(
                    $"{info.Name}: layer 1 reads ({string.Join(", ", _inputDimensions)}), not the network's {info.InputSize} input values.");
            _currentDimensions = _inputDimensions;
        }

        /// <summary>
        /// The nodes of layer <paramref name="number"/>. A layer kind with an ONNX form adds a case here; one that acts as
        /// Dense in the forward pass (W (inputs, units) as "W{n}", bias "B{n}", then its activation) joins the Dense case.
        /// </summary>
        public void Add(LayerInfo layer, int number)
        {
            if (!layer.InputDimensions.SequenceEqual(_currentDimensions))
                throw new InvalidOperationException($"{_info.Name}: layer {number}, {layer.Description}, reads " +
                    $"({string.Join(", ", layer.InputDimensions)}) but the layer before it produces ({string.Join(", ", _currentDimensions)}).");
            switch (layer.Kind)
            {
                case LayerKind.Dense or LayerKind.Rbm: // an RBM runs as a Dense Sigmoid layer
                {
                    int inputs = Product(_currentDimensions);
                    if (_currentDimensions.Length != 1)
                        Append(new Node("Flatten", $"layer{number}_flatten", [_current], $"layer{number}_flat").Int("axis", 1));
                    string weights = Parameter(number, "W", inputs, layer.Units), bias = Parameter(number, "B", layer.Units);
                    Append(new Node("Gemm", $"layer{number}_gemm", [_current, weights, bias], $"layer{number}_linear"));
                    break;
                }
                case LayerKind.Conv:
                {
                    int channels = _currentDimensions[0];
                    string weights = Parameter(number, "W", layer.Units, channels, layer.KernelHeight, layer.KernelWidth);
                    string bias = Parameter(number, "B", layer.Units);
                    Append(new Node("Conv", $"layer{number}_conv", [_current, weights, bias], $"layer{number}_conv")
                        .Ints("kernel_shape", layer.KernelHeight, layer.KernelWidth)
                        .Ints("strides", layer.Stride, layer.Stride)
                        .Ints("pads", layer.Padding, layer.Padding, layer.Padding, layer.Padding));
                    break;
                }
                case LayerKind.MaxPool:
                    Append(new Node("MaxPool", $"layer{number}_pool", [_current], $"layer{number}_pool")
                        .Ints("kernel_shape", layer.KernelHeight, layer.KernelWidth)
                        .Ints("strides", layer.Stride, layer.Stride));
                    break;
                default:
                    throw NotDescribed(layer, number);
            }
            _currentDimensions = [.. layer.OutputDimensions];
            switch (layer.Activation)
            {
                case Activation.Identity: break;
                case Activation.Sigmoid: Append(new Node("Sigmoid", $"layer{number}_sigmoid", [_current], $"layer{number}_sigmoid")); break;
                case Activation.Tanh: Append(new Node("Tanh", $"layer{number}_tanh", [_current], $"layer{number}_tanh")); break;
                case Activation.Relu: Append(new Node("Relu", $"layer{number}_relu", [_current], $"layer{number}_relu")); break;
                case Activation.Softmax:
                    if (_currentDimensions.Length != 1) // a softmax over all of an image's values: flatten first
                    {
                        Append(new Node("Flatten", $"layer{number}_flatten", [_current], $"layer{number}_flat").Int("axis", 1));
                        _currentDimensions = [Product(_currentDimensions)];
                    }
                    Append(new Node("Softmax", $"layer{number}_softmax", [_current], $"layer{number}_softmax").Int("axis", 1));
                    break;
                default:
                    throw new NotSupportedException($"{_info.Name}: layer {number}, {layer.Description}: activation {layer.Activation} has no ONNX form here.");
            }
        }

        /// <summary>GraphProto: node 1, name 2, initializer 5, input 11, output 12.</summary>
        public void Write(ProtoWriter graph)
        {
            if (_nodes.Count == 0) throw new NotSupportedException($"{_info.Name} has no layers to export.");
            if (_currentDimensions.Length != 1 || _currentDimensions[0] != _info.Classes)
                throw new InvalidOperationException($"{_info.Name}: the last layer produces ({string.Join(", ", _currentDimensions)}), not {_info.Classes} class scores.");
            _nodes[^1].Output = OutputName;
            foreach (Node node in _nodes) graph.Message(1, node.Write);
            graph.String(2, _info.Name);
            foreach (int index in _initializers)
            {
                ParameterShape shape = _access.Shapes[index];
                var values = new float[shape.Length];
                _access.Read(index, ParameterPart.Values, values);
                // TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian).
                graph.Message(5, tensor => tensor.Varints(1, shape.Shape.Select(d => (long)d)).Varint(2, FloatType)
                    .String(8, shape.Name).Floats(9, values));
            }
            graph.Message(11, value => ValueInfo(value, InputName, _inputDimensions));
            graph.Message(12, value => ValueInfo(value, OutputName, [_info.Classes]));
        }

        /// <summary>ValueInfoProto: name 1, type 2 → TypeProto.tensor_type 1 → elem_type 1, shape 2 → dim 1 →
        /// dim_value 1 or dim_param 2. The first dimension is the symbolic batch.</summary>
        private static void ValueInfo(ProtoWriter value, string name, int[] dimensions) =>
            value.String(1, name).Message(2, type => type.Message(1, tensor => tensor.Varint(1, FloatType).Message(2, shape =>
            {
                shape.Message(1, dim => dim.String(2, BatchDimension));
                foreach (int size in dimensions) shape.Message(1, dim => dim.Varint(1, size));
            })));

        private void Append(Node node)
        {
            _nodes.Add(node);
            _current = node.Output;
        }

        /// <summary>Registers the parameter "{prefix}{number}" as an initializer after checking its shape.</summary>
        private string Parameter(int number, string prefix, params int[] expected)
        {
            string name = prefix + number.ToString(CultureInfo.InvariantCulture);
            int index = -1;
            for (int i = 0; i < _access.Shapes.Count; i++) if (_access.Shapes[i].Name == name) index = i;
            if (index < 0)
                throw new InvalidOperationException($"{_info.Name}: layer {number}, {_info.Layers[number - 1].Description}, has no parameter {name}.");
            if (!_access.Shapes[index].Shape.AsSpan().SequenceEqual(expected))
                throw new InvalidOperationException($"{_info.Name}: parameter {_access.Shapes[index]} of layer {number}, " +
                    $"{_info.Layers[number - 1].Description}, is not the ({string.Join(", ", expected)}) its ONNX node needs.");
            if (!_initializers.Contains(index)) _initializers.Add(index);
            return name;
        }

        private NotSupportedException NotDescribed(LayerInfo layer, int number) => new(
            $"{_info.Name}: layer {number}, {layer.Description}, cannot be exported to ONNX: its kind ({layer.Kind}) has no ONNX form " +
            "in this build (a LayerInfo the generator did not describe, or a layer kind the exporter does not know).");

        private static int Product(IEnumerable<int> dimensions) => dimensions.Aggregate(1, (product, size) => checked(product * size));
    }
}
