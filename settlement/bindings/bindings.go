// Code generated via abigen V2 - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package bindings

import (
	"bytes"
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = bytes.Equal
	_ = errors.New
	_ = big.NewInt
	_ = common.Big1
	_ = types.BloomLookup
	_ = abi.ConvertType
)

// BinaryMerkleProof is an auto generated low-level Go binding around an user-defined struct.
type BinaryMerkleProof struct {
	SideNodes [][32]byte
	Key       *big.Int
	NumLeaves *big.Int
}

// BlobProof is an auto generated low-level Go binding around an user-defined struct.
type BlobProof struct {
	Shares      []byte
	Rows        []RowProof
	SquareWidth *big.Int
	Nonce       *big.Int
	Tuple       DataRootTuple
	TupleProof  BinaryMerkleProof
}

// DataRootTuple is an auto generated low-level Go binding around an user-defined struct.
type DataRootTuple struct {
	Height   *big.Int
	DataRoot [32]byte
}

// NamespaceProof is an auto generated low-level Go binding around an user-defined struct.
type NamespaceProof struct {
	Shares      []byte
	Rows        []NamespaceRowProof
	HasBelow    bool
	Below       RowBound
	HasAbove    bool
	Above       RowBound
	SquareWidth *big.Int
	Nonce       *big.Int
	Tuple       DataRootTuple
	TupleProof  BinaryMerkleProof
}

// NamespaceRowProof is an auto generated low-level Go binding around an user-defined struct.
type NamespaceRowProof struct {
	Row       *big.Int
	Start     *big.Int
	End       *big.Int
	Nodes     []byte
	LeafNode  []byte
	RowRoot   []byte
	RootAunts [][32]byte
}

// RowBound is an auto generated low-level Go binding around an user-defined struct.
type RowBound struct {
	Row       *big.Int
	RowRoot   []byte
	RootAunts [][32]byte
}

// RowProof is an auto generated low-level Go binding around an user-defined struct.
type RowProof struct {
	Row       *big.Int
	Start     *big.Int
	End       *big.Int
	Nodes     []byte
	RowRoot   []byte
	RootAunts [][32]byte
}

// TartanDataRootOracleAttester is an auto generated low-level Go binding around an user-defined struct.
type TartanDataRootOracleAttester struct {
	Addr  common.Address
	Power *big.Int
}

// TartanDataRootOracleSignature is an auto generated low-level Go binding around an user-defined struct.
type TartanDataRootOracleSignature struct {
	V uint8
	R [32]byte
	S [32]byte
}

// ExampleRollupInboxMetaData contains all meta data concerning the ExampleRollupInbox contract.
var ExampleRollupInboxMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"contractIDAOracle\",\"name\":\"oracle_\",\"type\":\"address\"},{\"internalType\":\"bytes29\",\"name\":\"namespace_\",\"type\":\"bytes29\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[{\"internalType\":\"string\",\"name\":\"why\",\"type\":\"string\"}],\"name\":\"BadProof\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"BadSequence\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"NotABlobStart\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"batchHash\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"height\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"size\",\"type\":\"uint256\"}],\"name\":\"BatchAccepted\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"height\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"shares\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"sharesHash\",\"type\":\"bytes32\"}],\"name\":\"NamespaceProven\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"name\":\"batches\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"namespace\",\"outputs\":[{\"internalType\":\"bytes29\",\"name\":\"\",\"type\":\"bytes29\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"name\":\"namespaceContent\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"oracle\",\"outputs\":[{\"internalType\":\"contractIDAOracle\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"bytes\",\"name\":\"shares\",\"type\":\"bytes\"},{\"components\":[{\"internalType\":\"uint256\",\"name\":\"row\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"start\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"end\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"nodes\",\"type\":\"bytes\"},{\"internalType\":\"bytes\",\"name\":\"leafNode\",\"type\":\"bytes\"},{\"internalType\":\"bytes\",\"name\":\"rowRoot\",\"type\":\"bytes\"},{\"internalType\":\"bytes32[]\",\"name\":\"rootAunts\",\"type\":\"bytes32[]\"}],\"internalType\":\"structNamespaceRowProof[]\",\"name\":\"rows\",\"type\":\"tuple[]\"},{\"internalType\":\"bool\",\"name\":\"hasBelow\",\"type\":\"bool\"},{\"components\":[{\"internalType\":\"uint256\",\"name\":\"row\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"rowRoot\",\"type\":\"bytes\"},{\"internalType\":\"bytes32[]\",\"name\":\"rootAunts\",\"type\":\"bytes32[]\"}],\"internalType\":\"structRowBound\",\"name\":\"below\",\"type\":\"tuple\"},{\"internalType\":\"bool\",\"name\":\"hasAbove\",\"type\":\"bool\"},{\"components\":[{\"internalType\":\"uint256\",\"name\":\"row\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"rowRoot\",\"type\":\"bytes\"},{\"internalType\":\"bytes32[]\",\"name\":\"rootAunts\",\"type\":\"bytes32[]\"}],\"internalType\":\"structRowBound\",\"name\":\"above\",\"type\":\"tuple\"},{\"internalType\":\"uint256\",\"name\":\"squareWidth\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"nonce\",\"type\":\"uint256\"},{\"components\":[{\"internalType\":\"uint256\",\"name\":\"height\",\"type\":\"uint256\"},{\"internalType\":\"bytes32\",\"name\":\"dataRoot\",\"type\":\"bytes32\"}],\"internalType\":\"structDataRootTuple\",\"name\":\"tuple\",\"type\":\"tuple\"},{\"components\":[{\"internalType\":\"bytes32[]\",\"name\":\"sideNodes\",\"type\":\"bytes32[]\"},{\"internalType\":\"uint256\",\"name\":\"key\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"numLeaves\",\"type\":\"uint256\"}],\"internalType\":\"structBinaryMerkleProof\",\"name\":\"tupleProof\",\"type\":\"tuple\"}],\"internalType\":\"structNamespaceProof\",\"name\":\"proof\",\"type\":\"tuple\"}],\"name\":\"proveNamespace\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"sharesHash\",\"type\":\"bytes32\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"bytes\",\"name\":\"shares\",\"type\":\"bytes\"},{\"components\":[{\"internalType\":\"uint256\",\"name\":\"row\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"start\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"end\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"nodes\",\"type\":\"bytes\"},{\"internalType\":\"bytes\",\"name\":\"rowRoot\",\"type\":\"bytes\"},{\"internalType\":\"bytes32[]\",\"name\":\"rootAunts\",\"type\":\"bytes32[]\"}],\"internalType\":\"structRowProof[]\",\"name\":\"rows\",\"type\":\"tuple[]\"},{\"internalType\":\"uint256\",\"name\":\"squareWidth\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"nonce\",\"type\":\"uint256\"},{\"components\":[{\"internalType\":\"uint256\",\"name\":\"height\",\"type\":\"uint256\"},{\"internalType\":\"bytes32\",\"name\":\"dataRoot\",\"type\":\"bytes32\"}],\"internalType\":\"structDataRootTuple\",\"name\":\"tuple\",\"type\":\"tuple\"},{\"components\":[{\"internalType\":\"bytes32[]\",\"name\":\"sideNodes\",\"type\":\"bytes32[]\"},{\"internalType\":\"uint256\",\"name\":\"key\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"numLeaves\",\"type\":\"uint256\"}],\"internalType\":\"structBinaryMerkleProof\",\"name\":\"tupleProof\",\"type\":\"tuple\"}],\"internalType\":\"structBlobProof\",\"name\":\"proof\",\"type\":\"tuple\"}],\"name\":\"submitBatch\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"batchHash\",\"type\":\"bytes32\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"bytes\",\"name\":\"shares\",\"type\":\"bytes\"},{\"components\":[{\"internalType\":\"uint256\",\"name\":\"row\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"start\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"end\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"nodes\",\"type\":\"bytes\"},{\"internalType\":\"bytes\",\"name\":\"rowRoot\",\"type\":\"bytes\"},{\"internalType\":\"bytes32[]\",\"name\":\"rootAunts\",\"type\":\"bytes32[]\"}],\"internalType\":\"structRowProof[]\",\"name\":\"rows\",\"type\":\"tuple[]\"},{\"internalType\":\"uint256\",\"name\":\"squareWidth\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"nonce\",\"type\":\"uint256\"},{\"components\":[{\"internalType\":\"uint256\",\"name\":\"height\",\"type\":\"uint256\"},{\"internalType\":\"bytes32\",\"name\":\"dataRoot\",\"type\":\"bytes32\"}],\"internalType\":\"structDataRootTuple\",\"name\":\"tuple\",\"type\":\"tuple\"},{\"components\":[{\"internalType\":\"bytes32[]\",\"name\":\"sideNodes\",\"type\":\"bytes32[]\"},{\"internalType\":\"uint256\",\"name\":\"key\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"numLeaves\",\"type\":\"uint256\"}],\"internalType\":\"structBinaryMerkleProof\",\"name\":\"tupleProof\",\"type\":\"tuple\"}],\"internalType\":\"structBlobProof\",\"name\":\"proof\",\"type\":\"tuple\"}],\"name\":\"verifyBatch\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"batchHash\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	ID:  "ExampleRollupInbox",
	Bin: "0x60c0346100b157601f6123ba38819003918201601f19168301916001600160401b038311848410176100b55780849260409485528339810103126100b1578051906001600160a01b03821682036100b157602001519062ffffff19821682036100b15760805260a0526040516122f090816100ca823960805181818160bd015281816101f1015281816102520152610341015260a051818181609c015281816101a10152818161023101526103200152f35b5f80fd5b634e487b7160e01b5f52604160045260245ffdfe60806040526004361015610011575f80fd5b5f3560e01c80635d08646e146100845780637c015a891461007f5780637dc0d1d01461007a5780637dd2a4e71461007557806386de869e14610070578063b7aac6e41461006b5763c81e25ab14610066575f80fd5b6103b8565b6102b4565b61028a565b610215565b6101c5565b610185565b3461014e576020608061009636610152565b6100e1817f00000000000000000000000000000000000000000000000000000000000000007f00000000000000000000000000000000000000000000000000000000000000006109a0565b7f75f53205691fa57015a90cbe1ad20d5bb872445a897b1371abd0199b45d08ce661011561010f83806103e1565b90611165565b80518582012093849301359081610133855f525f60205260405f2090565b555160408051928352602083019190915290a2604051908152f35b5f80fd5b602060031982011261014e576004359067ffffffffffffffff821161014e576003198260e09203011261014e5760040190565b3461014e575f60031936011261014e57602060405162ffffff197f0000000000000000000000000000000000000000000000000000000000000000168152f35b3461014e575f60031936011261014e57602060405173ffffffffffffffffffffffffffffffffffffffff7f0000000000000000000000000000000000000000000000000000000000000000168152f35b3461014e57602061027c61010f61022b36610152565b610276817f00000000000000000000000000000000000000000000000000000000000000007f00000000000000000000000000000000000000000000000000000000000000006109a0565b806103e1565b818151910120604051908152f35b3461014e57602060031936011261014e576004355f526001602052602060405f2054604051908152f35b3461014e57602060031936011261014e5760043567ffffffffffffffff811161014e578060040190610160600319823603011261014e57817f3cba7098813fae95d651b614c898a3d8cb13fede195a774e6cffd5e944dbf8786101049261037361036c6103656103b4977f00000000000000000000000000000000000000000000000000000000000000007f00000000000000000000000000000000000000000000000000000000000000006113a7565b94806103e1565b36916104ff565b6020815191012093849101359281610393855f52600160205260405f2090565b55604080519182526020820192909252a26040519081529081906020820190565b0390f35b3461014e57602060031936011261014e576004355f525f602052602060405f2054604051908152f35b9035907fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe18136030182121561014e570180359067ffffffffffffffff821161014e5760200191813603831361014e57565b7f4e487b71000000000000000000000000000000000000000000000000000000005f52604160045260245ffd5b90601f7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe0910116810190811067ffffffffffffffff8211176104a057604052565b610432565b604051906104b460608361045f565b565b604051906104b460a08361045f565b67ffffffffffffffff81116104a057601f017fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe01660200190565b92919261050b826104c5565b91610519604051938461045f565b82948184528183011161014e578281602093845f960137010152565b7f4e487b71000000000000000000000000000000000000000000000000000000005f52601160045260245ffd5b905f19820191821161057057565b610535565b9190820391821161057057565b908160091b91808304610200149015171561057057565b908160011b917f7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff81160361057057565b908160021b917f3fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff81160361057057565b906101e28202918083046101e2149015171561057057565b9035907fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe18136030182121561014e570180359067ffffffffffffffff821161014e57602001918160051b3603831361014e57565b7f4e487b71000000000000000000000000000000000000000000000000000000005f52603260045260245ffd5b91908110156106d25760051b810135907fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff418136030182121561014e570190565b610665565b906001820180921161057057565b6101de0190816101de1161057057565b906101e2820180921161057057565b602201908160221161057057565b90601d820180921161057057565b90601e820180921161057057565b90605a820180921161057057565b9190820180921161057057565b90601d1161014e5790601d90565b90603a1161014e57601d0190601d90565b90605a1161014e57603a0190602090565b9060221161014e57601e0190600490565b909291928360221161014e57831161014e57602201917fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffde0190565b9093929384831161014e57841161014e578101920390565b604051906060820182811067ffffffffffffffff8211176104a0576040525f6040838281528260208201520152565b9190913562ffffff19811692601d8110610824575050565b62ffffff199293508290601d0360031b1b161690565b359060208110610848575090565b5f199060200360031b1b1690565b82600193925f83528483013701015f815290565b805191908290602001825e015f815290565b6040513d5f823e3d90fd5b9035907fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa18136030182121561014e570190565b8015150361014e57565b9081602091031261014e57516108d9816108ba565b90565b916020918352803582840152013560408201526080606082015281357fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe18336030181121561014e5782019060208235920167ffffffffffffffff831161014e578260051b92833603821361014e577f07ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff90606060808501528060e08501521161014e57610100938360409286850137602081013560a0840152013560c0820152010190565b919092604082013580158015611074575b8015611069575b611023576109d16109c984806103e1565b905060091c90565b9485158015611006575b8015610ff0575b610faa575f959495505f935f95602082019460a0830135975b610a058785610611565b9050811015610e5c57610a2281610a1c8987610611565b90610692565b803590878210801590610e4f575b8015610e3d575b8015610df8575b8015610dcc575b610d8657604081013599602082013590610a5f828d610575565b9087610a6b838361073c565b118015610d6d575b610d27578a8a610a838b806103e1565b610a8c85610582565b610a96878761073c565b610a9f90610582565b91610aa9936107c5565b94610ab4919461073c565b9e610abd6107dd565b506060870195610acd87896103e1565b9094610ad890610599565b94610ae6975f978896611aca565b9091610af290846103e1565b91905003610ce157805162ffffff191690608083019162ffffff19610b35610b2c610b26610b2087896103e1565b90610749565b9061080c565b62ffffff191690565b91161490811591610ca6575b8115610c7c575b50610c36575f610bab610b9f610b60602094866103e1565b9190610b73604051938492888401610856565b037fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe0810183528261045f565b6040519182809261086a565b039060025afa15610c31578a91610bde915f5190610bd6610bcb8c6105c9565b9160a0810190610611565b939092611db6565b03610beb576001016109fb565b6040516309616ecd60e31b815260206004820152600960248201527f6461746120726f6f7400000000000000000000000000000000000000000000006044820152606490fd5b61087c565b6040516309616ecd60e31b815260206004820152600860248201527f726f7720726f6f740000000000000000000000000000000000000000000000006044820152606490fd5b604091500151610c9e610c98610c9284866103e1565b90610768565b9061083a565b14155f610b48565b9050610cb9602082015162ffffff191690565b62ffffff19610cd7610b2c610b26610cd187896103e1565b90610757565b9116141590610b41565b6040516309616ecd60e31b815260206004820152600b60248201527f6578747261206e6f6465730000000000000000000000000000000000000000006044820152606490fd5b6040516309616ecd60e31b815260206004820152600860248201527f726f772073697a650000000000000000000000000000000000000000000000006044820152606490fd5b50605a610d7d60808601866103e1565b90501415610a73565b6040516309616ecd60e31b815260206004820152600a60248201527f726f77206c61796f7574000000000000000000000000000000000000000000006044820152606490fd5b50610dd6836106d7565b610de08a88610611565b919050108015610a4557508760408201351415610a45565b508215158015610a3e57506020810135151580610a3e5750610e35610e2f610e208b89610611565b610e2987610562565b91610692565b356106d7565b821415610a3e565b50602081013560408201351115610a37565b5087604082013511610a30565b5097959350935094505003610f6457602090606083013590608073ffffffffffffffffffffffffffffffffffffffff610e9860c0870187610887565b95610ed4604051978896879586947f1f3302a90000000000000000000000000000000000000000000000000000000086520190600485016108dc565b0392165afa908115610c31575f91610f35575b5015610eef57565b6040516309616ecd60e31b815260206004820152600b60248201527f6174746573746174696f6e0000000000000000000000000000000000000000006044820152606490fd5b610f57915060203d602011610f5d575b610f4f818361045f565b8101906108c4565b5f610ee7565b503d610f45565b6040516309616ecd60e31b815260206004820152600f60248201527f756e70726f76656e2073686172657300000000000000000000000000000000006044820152606490fd5b6040516309616ecd60e31b815260206004820152600660248201527f73686172657300000000000000000000000000000000000000000000000000006044820152606490fd5b50610ffe6020850185610611565b9050156109e2565b5061101184806103e1565b905061101c87610582565b14156109db565b6040516309616ecd60e31b815260206004820152600c60248201527f73717561726520776964746800000000000000000000000000000000000000006044820152606490fd5b5061020081116109b8565b5061107e81610562565b811615156109b1565b90601d10156106d257601d0190565b908210156106d2570190565b919091357fffffffff00000000000000000000000000000000000000000000000000000000811692600481106110d6575050565b7fffffffff00000000000000000000000000000000000000000000000000000000929350829060040360031b1b161690565b90611112826104c5565b61111f604051918261045f565b8281527fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe061114d82946104c5565b0190602036910137565b5f1981146105705760010190565b919091600160ff6111a86111a261117c8786611087565b357fff000000000000000000000000000000000000000000000000000000000000001690565b60f81c90565b1603611335576111d66111cd6111c76111c18685610779565b906110a2565b60e01c90565b63ffffffff1690565b6111f86111f36111ee6111e98760091c90565b610562565b6105f9565b6106e5565b808211908115611322575b506112f25761121181611108565b936101de82101561131a57815b61123b61123461122d83610704565b848761078a565b9088611ee8565b6001905b83811061124d575050505050565b6112776112716111a261117c61126a61126587610582565b610712565b878a611096565b60ff1690565b6112f2576112dd816101e261128f6112e39488610575565b10156112e95761129f8187610575565b905b6112c86112d56112b86112b388610582565b610720565b6112cd856112c86112b38b610582565b61073c565b90898c6107c5565b90838d611eee565b91611157565b9061123f565b6101e2906112a1565b7fb986d7fb000000000000000000000000000000000000000000000000000000005f5260045ffd5b6101de61121e565b905061132d826106f5565b11155f611203565b7f4b257177000000000000000000000000000000000000000000000000000000005f5260045ffd5b356108d9816108ba565b91908110156106d25760051b810135907fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff218136030182121561014e570190565b929160c081013580158015611ab7575b8015611aac575b6110235762ffffff1983169262ffffff198414611a66576113e26109c984806103e1565b906113ed84806103e1565b90506113f883610582565b14801590611a4f575b610faa57610120840135945f6114196040870161135d565b6119b0575b5f975f5b61142f6020890189610611565b905081101561184e5761144f8161144960208b018b610611565b90611367565b998a3593808503610d86576114a5610b2c610b26610b208f8f61149b908f6114778e99611157565b9c61148560a08601866103e1565b9061149360c0880188610611565b949093611ef5565b60a08101906103e1565b11858c821561182c575b50506117e65760808b019a5f6114c58d836103e1565b151590506116f0575060208101359b60408201359c8d8b818310918215926116e6575b5050610d86576114fc8a916115059f610575565b9d8e5b8561073c565b11610d27578c8a91896115188e806103e1565b61152188610582565b61152b868a61073c565b61153490610582565b9161153e936107c5565b93611549919761073c565b9f60208601359015604087013561155e6104a5565b5f808252602082018190526040820152926115776104b6565b62ffffff199095168552602085015260408401528015156060840152608083019182526115d7956115ce955f9586946115c894611680575b505060608901996115c08b8b6103e1565b949093610599565b95611f8a565b919093836103e1565b91905003610ce157815162ffffff191662ffffff19611602610b2c610b26610b2060a08701876103e1565b91161491821592611648575b8215611623575b5050610c3657600101611422565b61163f919250610c926040610c989201519360a08101906103e1565b14155f80611615565b915061165b602083015162ffffff191690565b62ffffff19611676610b2c610b26610cd160a08701876103e1565b911614159161160e565b8a6116d96116b4610c98610c9261169d610b26610b2089886103e1565b966116ae610b26610cd183896103e1565b956103e1565b916116cc6116c06104a5565b62ffffff199096168652565b62ffffff19166020850152565b6040830152525f806115af565b1190508b8f6114e8565b9b605a6116fd82846103e1565b9050148015906117cc575b80156117bf575b80156117a3575b8015611771575b61172b57886115058e6114ff565b6040516309616ecd60e31b815260206004820152600c60248201527f616273656e6365206c65616600000000000000000000000000000000000000006044820152606490fd5b50611782610b26610cd183856103e1565b62ffffff1961179a610b2c610b26610b2086886103e1565b9116141561171d565b50866117b8610b2c610b26610b2085876103e1565b1115611716565b508960408301351161170f565b5060408201356117df60208401356106d7565b1415611708565b6040516309616ecd60e31b815260206004820152600960248201527f726f772072616e676500000000000000000000000000000000000000000000006044820152606490fd5b611846919250610b26610cd18260a0610b2c9401906103e1565b10858c6114af565b5097849996979350949390919403610f645761186c6080870161135d565b156119595760a08601906118808288610887565b3503610d8657610b206118bb826118d7610b2c956118dd976118a5610b26978d610887565b35848d6114936118cd6118c56118bb8585610887565b60208101906103e1565b949093610887565b6040810190610611565b88610887565b1115611913576020905b60e08301359061010073ffffffffffffffffffffffffffffffffffffffff610e98610140870187610887565b6040516309616ecd60e31b815260206004820152600960248201527f726f772061626f766500000000000000000000000000000000000000000000006044820152606490fd5b919250500361196a576020906118e7565b6040516309616ecd60e31b815260206004820152600d60248201527f726f7773206c656674206f7574000000000000000000000000000000000000006044820152606490fd5b50606085016119da87866119c4848a610887565b35848a6114936118cd6118c56118bb8585610887565b816119f1610b2c610b26610cd16118bb868c610887565b1015611a0957610e2f611a049187610887565b61141e565b6040516309616ecd60e31b815260206004820152600960248201527f726f772062656c6f7700000000000000000000000000000000000000000000006044820152606490fd5b5082611a5e6020860186610611565b905011611401565b6040516309616ecd60e31b815260206004820152600960248201527f6e616d65737061636500000000000000000000000000000000000000000000006044820152606490fd5b5061020081116113be565b50611ac181610562565b811615156113b7565b9998909697959493929197611add6107dd565b50848711801590611d9c575b611cd0576001611af98289610575565b14611c555782918b828888888d9b9a99988f611b2b8f611b1f611b459b611b2592610575565b60011c90565b8761073c565b9d8e97611b366107dd565b50611b3f6107dd565b50611aca565b90611b53999198909b611aca565b9290611b63815162ffffff191690565b602083019062ffffff19611b7e610b2c845162ffffff191690565b911610611c0f5762ffffff1980611b99845162ffffff191690565b1603611bf157611bc3611bb3611be8925162ffffff191690565b925b845162ffffff19169461221b565b91611bdb611bcf6104a5565b62ffffff199095168552565b62ffffff19166020840152565b60408201529190565b50611be8611bc3611c09602084015162ffffff191690565b92611bb5565b6040516309616ecd60e31b815260206004820152600f60248201527f6e616d657370616365206f7264657200000000000000000000000000000000006044820152606490fd5b925098969050611c9e9450611c969350611c90611c80611c8b85611c85611c80610b269b9888610575565b610582565b95610575565b6106d7565b926107c5565b819391610749565b62ffffff19808416911603611a6657611cb6906121ef565b611be8611cc16104a5565b62ffffff198416815292611bdb565b5098509550935050505080611ce48561072e565b11611d56576108d99184611cfb92611c908261072e565b9390611d4c611d27610c98611d13610b268986610749565b97611d21610b268287610757565b94610768565b91611d3f611d336104a5565b62ffffff199098168852565b62ffffff19166020870152565b604085015261072e565b6040516309616ecd60e31b815260206004820152600d60248201527f6d697373696e67206e6f646573000000000000000000000000000000000000006044820152606490fd5b5085811015611ae9565b91908110156106d25760051b0190565b5f959486949093909285915b60018111611e9057505050838303611e4a57949291905f935b838510611de9575050505050565b9091929395600190818084611e068b611e018b610562565b610575565b1c1603611e2e57611e2290611e1c898787611da6565b35612293565b965b0193929190611ddb565b611e4490611e3d898787611da6565b3590612293565b96611e24565b6040516309616ecd60e31b815260206004820152600560248201527f61756e74730000000000000000000000000000000000000000000000000000006044820152606490fd5b60015f19829a98949a011e60ff031b96898303838111610570578811611edb576001841b17988781018091116105705796810390811161057057611ed49092611157565b9591611dc2565b9896611ed4915092611157565b60200137565b0160200137565b949392919091828610801590611f7f575b8015611f54575b610c3657611f2d5f91610b9f602094610b73604051938492888401610856565b039060025afa15610c3157611f4d93611f475f51926105c9565b91611db6565b03610beb57565b50611f62610b268284610749565b62ffffff19611f77610b2c610b268587610757565b911611611f0d565b50605a811415611f06565b979690949593929195611f9b6107dd565b5060208901805186118015906121e1575b61208f576001611fbc8388610575565b14612006575082918982868997968b611fde6114ff611b1f611ff8998e610575565b998a95611fe96107dd565b50611ff26107dd565b50611f8a565b90611b539791969099611f8a565b94509150969394915061201c6060850151151590565b61208257938261204c92611c90611c80611c8b610b2699612044611c806120549a5183610575565b955190610575565b819491610749565b62ffffff1961206a610b2c845162ffffff191690565b911603611a665751611cb69062ffffff1916916121ef565b5050506080915001519190565b95505094508161209e8661072e565b11611d5657846120b192611c908261072e565b95906120da610c986120c6610b268a85610749565b986120d4610b268286610757565b93610768565b6120f16120e56104a5565b62ffffff199099168952565b6121056020890192839062ffffff19169052565b604088015261212661211b885162ffffff191690565b915162ffffff191690565b9262ffffff198085169216918211948515612194575b505050505061214e576108d99061072e565b6040516309616ecd60e31b815260206004820152600a60248201527f696e636f6d706c657465000000000000000000000000000000000000000000006044820152606490fd5b5193945091929091116121c757506121b8610b2c62ffffff19925162ffffff191690565b911610155b5f8080808061213c565b9150610b2c6121da915162ffffff191690565b10156121bd565b5060408a0151821015611fac565b5f61021e60209261020060405191848353601d816001850137601e83013760025afa1561014e575f5190565b60b56020925f9262ffffff1981511691604061223d8784015162ffffff191690565b920151815162ffffff191690604061225b8985015162ffffff191690565b9301519360405195600187536001870152601e860152603b850152605b8401526078830152609582015260025afa1561014e575f5190565b60415f9160209360405191600183536001830152602182015260025afa1561014e575f519056fea264697066735822122088fd14c2d44a237e0a5c3e50ac8bb5317d675a46a6b8cef5b96cda92f3f185f264736f6c63430008250033",
}

// ExampleRollupInbox is an auto generated Go binding around an Ethereum contract.
type ExampleRollupInbox struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *ExampleRollupInbox) GetABI() abi.ABI {
	return c.abi
}

// NewExampleRollupInbox creates a new instance of ExampleRollupInbox.
func NewExampleRollupInbox() *ExampleRollupInbox {
	parsed, err := ExampleRollupInboxMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &ExampleRollupInbox{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *ExampleRollupInbox) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackConstructor is the Go binding used to pack the parameters required for
// contract deployment.
//
// Solidity: constructor(address oracle_, bytes29 namespace_) returns()
func (exampleRollupInbox *ExampleRollupInbox) PackConstructor(oracle_ common.Address, namespace_ [29]byte) []byte {
	enc, err := exampleRollupInbox.abi.Pack("", oracle_, namespace_)
	if err != nil {
		panic(err)
	}
	return enc
}

// PackBatches is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc81e25ab.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function batches(bytes32 ) view returns(uint256)
func (exampleRollupInbox *ExampleRollupInbox) PackBatches(arg0 [32]byte) []byte {
	enc, err := exampleRollupInbox.abi.Pack("batches", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackBatches is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc81e25ab.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function batches(bytes32 ) view returns(uint256)
func (exampleRollupInbox *ExampleRollupInbox) TryPackBatches(arg0 [32]byte) ([]byte, error) {
	return exampleRollupInbox.abi.Pack("batches", arg0)
}

// UnpackBatches is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xc81e25ab.
//
// Solidity: function batches(bytes32 ) view returns(uint256)
func (exampleRollupInbox *ExampleRollupInbox) UnpackBatches(data []byte) (*big.Int, error) {
	out, err := exampleRollupInbox.abi.Unpack("batches", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackNamespace is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x7c015a89.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function namespace() view returns(bytes29)
func (exampleRollupInbox *ExampleRollupInbox) PackNamespace() []byte {
	enc, err := exampleRollupInbox.abi.Pack("namespace")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackNamespace is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x7c015a89.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function namespace() view returns(bytes29)
func (exampleRollupInbox *ExampleRollupInbox) TryPackNamespace() ([]byte, error) {
	return exampleRollupInbox.abi.Pack("namespace")
}

// UnpackNamespace is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x7c015a89.
//
// Solidity: function namespace() view returns(bytes29)
func (exampleRollupInbox *ExampleRollupInbox) UnpackNamespace(data []byte) ([29]byte, error) {
	out, err := exampleRollupInbox.abi.Unpack("namespace", data)
	if err != nil {
		return *new([29]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([29]byte)).(*[29]byte)
	return out0, nil
}

// PackNamespaceContent is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x86de869e.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function namespaceContent(uint256 ) view returns(bytes32)
func (exampleRollupInbox *ExampleRollupInbox) PackNamespaceContent(arg0 *big.Int) []byte {
	enc, err := exampleRollupInbox.abi.Pack("namespaceContent", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackNamespaceContent is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x86de869e.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function namespaceContent(uint256 ) view returns(bytes32)
func (exampleRollupInbox *ExampleRollupInbox) TryPackNamespaceContent(arg0 *big.Int) ([]byte, error) {
	return exampleRollupInbox.abi.Pack("namespaceContent", arg0)
}

// UnpackNamespaceContent is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x86de869e.
//
// Solidity: function namespaceContent(uint256 ) view returns(bytes32)
func (exampleRollupInbox *ExampleRollupInbox) UnpackNamespaceContent(data []byte) ([32]byte, error) {
	out, err := exampleRollupInbox.abi.Unpack("namespaceContent", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackOracle is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x7dc0d1d0.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function oracle() view returns(address)
func (exampleRollupInbox *ExampleRollupInbox) PackOracle() []byte {
	enc, err := exampleRollupInbox.abi.Pack("oracle")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackOracle is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x7dc0d1d0.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function oracle() view returns(address)
func (exampleRollupInbox *ExampleRollupInbox) TryPackOracle() ([]byte, error) {
	return exampleRollupInbox.abi.Pack("oracle")
}

// UnpackOracle is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x7dc0d1d0.
//
// Solidity: function oracle() view returns(address)
func (exampleRollupInbox *ExampleRollupInbox) UnpackOracle(data []byte) (common.Address, error) {
	out, err := exampleRollupInbox.abi.Unpack("oracle", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackProveNamespace is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb7aac6e4.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function proveNamespace((bytes,(uint256,uint256,uint256,bytes,bytes,bytes,bytes32[])[],bool,(uint256,bytes,bytes32[]),bool,(uint256,bytes,bytes32[]),uint256,uint256,(uint256,bytes32),(bytes32[],uint256,uint256)) proof) returns(bytes32 sharesHash)
func (exampleRollupInbox *ExampleRollupInbox) PackProveNamespace(proof NamespaceProof) []byte {
	enc, err := exampleRollupInbox.abi.Pack("proveNamespace", proof)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackProveNamespace is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb7aac6e4.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function proveNamespace((bytes,(uint256,uint256,uint256,bytes,bytes,bytes,bytes32[])[],bool,(uint256,bytes,bytes32[]),bool,(uint256,bytes,bytes32[]),uint256,uint256,(uint256,bytes32),(bytes32[],uint256,uint256)) proof) returns(bytes32 sharesHash)
func (exampleRollupInbox *ExampleRollupInbox) TryPackProveNamespace(proof NamespaceProof) ([]byte, error) {
	return exampleRollupInbox.abi.Pack("proveNamespace", proof)
}

// UnpackProveNamespace is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xb7aac6e4.
//
// Solidity: function proveNamespace((bytes,(uint256,uint256,uint256,bytes,bytes,bytes,bytes32[])[],bool,(uint256,bytes,bytes32[]),bool,(uint256,bytes,bytes32[]),uint256,uint256,(uint256,bytes32),(bytes32[],uint256,uint256)) proof) returns(bytes32 sharesHash)
func (exampleRollupInbox *ExampleRollupInbox) UnpackProveNamespace(data []byte) ([32]byte, error) {
	out, err := exampleRollupInbox.abi.Unpack("proveNamespace", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackSubmitBatch is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x5d08646e.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function submitBatch((bytes,(uint256,uint256,uint256,bytes,bytes,bytes32[])[],uint256,uint256,(uint256,bytes32),(bytes32[],uint256,uint256)) proof) returns(bytes32 batchHash)
func (exampleRollupInbox *ExampleRollupInbox) PackSubmitBatch(proof BlobProof) []byte {
	enc, err := exampleRollupInbox.abi.Pack("submitBatch", proof)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSubmitBatch is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x5d08646e.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function submitBatch((bytes,(uint256,uint256,uint256,bytes,bytes,bytes32[])[],uint256,uint256,(uint256,bytes32),(bytes32[],uint256,uint256)) proof) returns(bytes32 batchHash)
func (exampleRollupInbox *ExampleRollupInbox) TryPackSubmitBatch(proof BlobProof) ([]byte, error) {
	return exampleRollupInbox.abi.Pack("submitBatch", proof)
}

// UnpackSubmitBatch is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x5d08646e.
//
// Solidity: function submitBatch((bytes,(uint256,uint256,uint256,bytes,bytes,bytes32[])[],uint256,uint256,(uint256,bytes32),(bytes32[],uint256,uint256)) proof) returns(bytes32 batchHash)
func (exampleRollupInbox *ExampleRollupInbox) UnpackSubmitBatch(data []byte) ([32]byte, error) {
	out, err := exampleRollupInbox.abi.Unpack("submitBatch", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackVerifyBatch is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x7dd2a4e7.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function verifyBatch((bytes,(uint256,uint256,uint256,bytes,bytes,bytes32[])[],uint256,uint256,(uint256,bytes32),(bytes32[],uint256,uint256)) proof) view returns(bytes32 batchHash)
func (exampleRollupInbox *ExampleRollupInbox) PackVerifyBatch(proof BlobProof) []byte {
	enc, err := exampleRollupInbox.abi.Pack("verifyBatch", proof)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackVerifyBatch is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x7dd2a4e7.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function verifyBatch((bytes,(uint256,uint256,uint256,bytes,bytes,bytes32[])[],uint256,uint256,(uint256,bytes32),(bytes32[],uint256,uint256)) proof) view returns(bytes32 batchHash)
func (exampleRollupInbox *ExampleRollupInbox) TryPackVerifyBatch(proof BlobProof) ([]byte, error) {
	return exampleRollupInbox.abi.Pack("verifyBatch", proof)
}

// UnpackVerifyBatch is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x7dd2a4e7.
//
// Solidity: function verifyBatch((bytes,(uint256,uint256,uint256,bytes,bytes,bytes32[])[],uint256,uint256,(uint256,bytes32),(bytes32[],uint256,uint256)) proof) view returns(bytes32 batchHash)
func (exampleRollupInbox *ExampleRollupInbox) UnpackVerifyBatch(data []byte) ([32]byte, error) {
	out, err := exampleRollupInbox.abi.Unpack("verifyBatch", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// ExampleRollupInboxBatchAccepted represents a BatchAccepted event raised by the ExampleRollupInbox contract.
type ExampleRollupInboxBatchAccepted struct {
	BatchHash [32]byte
	Height    *big.Int
	Size      *big.Int
	Raw       *types.Log // Blockchain specific contextual infos
}

const ExampleRollupInboxBatchAcceptedEventName = "BatchAccepted"

// ContractEventName returns the user-defined event name.
func (ExampleRollupInboxBatchAccepted) ContractEventName() string {
	return ExampleRollupInboxBatchAcceptedEventName
}

// UnpackBatchAcceptedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event BatchAccepted(bytes32 indexed batchHash, uint256 height, uint256 size)
func (exampleRollupInbox *ExampleRollupInbox) UnpackBatchAcceptedEvent(log *types.Log) (*ExampleRollupInboxBatchAccepted, error) {
	event := "BatchAccepted"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != exampleRollupInbox.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(ExampleRollupInboxBatchAccepted)
	if len(log.Data) > 0 {
		if err := exampleRollupInbox.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range exampleRollupInbox.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// ExampleRollupInboxNamespaceProven represents a NamespaceProven event raised by the ExampleRollupInbox contract.
type ExampleRollupInboxNamespaceProven struct {
	Height     *big.Int
	Shares     *big.Int
	SharesHash [32]byte
	Raw        *types.Log // Blockchain specific contextual infos
}

const ExampleRollupInboxNamespaceProvenEventName = "NamespaceProven"

// ContractEventName returns the user-defined event name.
func (ExampleRollupInboxNamespaceProven) ContractEventName() string {
	return ExampleRollupInboxNamespaceProvenEventName
}

// UnpackNamespaceProvenEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event NamespaceProven(uint256 indexed height, uint256 shares, bytes32 sharesHash)
func (exampleRollupInbox *ExampleRollupInbox) UnpackNamespaceProvenEvent(log *types.Log) (*ExampleRollupInboxNamespaceProven, error) {
	event := "NamespaceProven"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != exampleRollupInbox.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(ExampleRollupInboxNamespaceProven)
	if len(log.Data) > 0 {
		if err := exampleRollupInbox.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range exampleRollupInbox.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// UnpackError attempts to decode the provided error data using user-defined
// error definitions.
func (exampleRollupInbox *ExampleRollupInbox) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], exampleRollupInbox.abi.Errors["BadProof"].ID.Bytes()[:4]) {
		return exampleRollupInbox.UnpackBadProofError(raw[4:])
	}
	if bytes.Equal(raw[:4], exampleRollupInbox.abi.Errors["BadSequence"].ID.Bytes()[:4]) {
		return exampleRollupInbox.UnpackBadSequenceError(raw[4:])
	}
	if bytes.Equal(raw[:4], exampleRollupInbox.abi.Errors["NotABlobStart"].ID.Bytes()[:4]) {
		return exampleRollupInbox.UnpackNotABlobStartError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// ExampleRollupInboxBadProof represents a BadProof error raised by the ExampleRollupInbox contract.
type ExampleRollupInboxBadProof struct {
	Why string
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error BadProof(string why)
func ExampleRollupInboxBadProofErrorID() common.Hash {
	return common.HexToHash("0x4b0b7668f00e48d1b95940d503a98cb457b98d3da68370c08623198c4c757c45")
}

// UnpackBadProofError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error BadProof(string why)
func (exampleRollupInbox *ExampleRollupInbox) UnpackBadProofError(raw []byte) (*ExampleRollupInboxBadProof, error) {
	out := new(ExampleRollupInboxBadProof)
	if err := exampleRollupInbox.abi.UnpackIntoInterface(out, "BadProof", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// ExampleRollupInboxBadSequence represents a BadSequence error raised by the ExampleRollupInbox contract.
type ExampleRollupInboxBadSequence struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error BadSequence()
func ExampleRollupInboxBadSequenceErrorID() common.Hash {
	return common.HexToHash("0xb986d7fbabdfc2dd2a3bb4bf1ad92b03f8860c44fd5a21e61c5c83b0f108cce6")
}

// UnpackBadSequenceError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error BadSequence()
func (exampleRollupInbox *ExampleRollupInbox) UnpackBadSequenceError(raw []byte) (*ExampleRollupInboxBadSequence, error) {
	out := new(ExampleRollupInboxBadSequence)
	if err := exampleRollupInbox.abi.UnpackIntoInterface(out, "BadSequence", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// ExampleRollupInboxNotABlobStart represents a NotABlobStart error raised by the ExampleRollupInbox contract.
type ExampleRollupInboxNotABlobStart struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NotABlobStart()
func ExampleRollupInboxNotABlobStartErrorID() common.Hash {
	return common.HexToHash("0x4b2571773805b006ba5c73b793d68190eb60dbbbb14beadc4bc3126dc1f21080")
}

// UnpackNotABlobStartError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NotABlobStart()
func (exampleRollupInbox *ExampleRollupInbox) UnpackNotABlobStartError(raw []byte) (*ExampleRollupInboxNotABlobStart, error) {
	out := new(ExampleRollupInboxNotABlobStart)
	if err := exampleRollupInbox.abi.UnpackIntoInterface(out, "NotABlobStart", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TartanDataRootOracleMetaData contains all meta data concerning the TartanDataRootOracle contract.
var TartanDataRootOracleMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"string\",\"name\":\"tartanChainId\",\"type\":\"string\"},{\"internalType\":\"uint64\",\"name\":\"window_\",\"type\":\"uint64\"},{\"components\":[{\"internalType\":\"address\",\"name\":\"addr\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"power\",\"type\":\"uint256\"}],\"internalType\":\"structTartanDataRootOracle.Attester[]\",\"name\":\"attesters\",\"type\":\"tuple[]\"},{\"internalType\":\"address\",\"name\":\"guardian_\",\"type\":\"address\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[],\"name\":\"BadAttesterSet\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"index\",\"type\":\"uint256\"}],\"name\":\"BadSignature\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"Frozen\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"signedPower\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"totalPower\",\"type\":\"uint256\"}],\"name\":\"NoQuorum\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"NotGuardian\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint64\",\"name\":\"wantStart\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"wantEnd\",\"type\":\"uint64\"}],\"name\":\"NotNextRange\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"attesters\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"signatures\",\"type\":\"uint256\"}],\"name\":\"SignatureCount\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"WrongAttesterSet\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"setNonce\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"attestersHash\",\"type\":\"bytes32\"}],\"name\":\"AttestersUpdated\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"proofNonce\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"uint64\",\"name\":\"startBlock\",\"type\":\"uint64\"},{\"indexed\":true,\"internalType\":\"uint64\",\"name\":\"endBlock\",\"type\":\"uint64\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"dataCommitment\",\"type\":\"bytes32\"}],\"name\":\"DataCommitmentStored\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":false,\"internalType\":\"bool\",\"name\":\"frozen\",\"type\":\"bool\"}],\"name\":\"FrozenSet\",\"type\":\"event\"},{\"inputs\":[],\"name\":\"attesterSetNonce\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"attestersHash\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint64\",\"name\":\"startBlock\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"endBlock\",\"type\":\"uint64\"},{\"internalType\":\"bytes32\",\"name\":\"dataCommitment\",\"type\":\"bytes32\"},{\"components\":[{\"internalType\":\"address\",\"name\":\"addr\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"power\",\"type\":\"uint256\"}],\"internalType\":\"structTartanDataRootOracle.Attester[]\",\"name\":\"attesters\",\"type\":\"tuple[]\"},{\"components\":[{\"internalType\":\"uint8\",\"name\":\"v\",\"type\":\"uint8\"},{\"internalType\":\"bytes32\",\"name\":\"r\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"s\",\"type\":\"bytes32\"}],\"internalType\":\"structTartanDataRootOracle.Signature[]\",\"name\":\"signatures\",\"type\":\"tuple[]\"}],\"name\":\"commitRange\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"nonce\",\"type\":\"uint256\"},{\"internalType\":\"uint64\",\"name\":\"startBlock\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"endBlock\",\"type\":\"uint64\"},{\"internalType\":\"bytes32\",\"name\":\"dataCommitment\",\"type\":\"bytes32\"}],\"name\":\"commitmentDigest\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"name\":\"dataCommitments\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"frozen\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"guardian\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"latestBlock\",\"outputs\":[{\"internalType\":\"uint64\",\"name\":\"\",\"type\":\"uint64\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"proofNonce\",\"outputs\":[{\"internalType\":\"uint64\",\"name\":\"\",\"type\":\"uint64\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bool\",\"name\":\"frozen_\",\"type\":\"bool\"}],\"name\":\"setFrozen\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"addr\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"power\",\"type\":\"uint256\"}],\"internalType\":\"structTartanDataRootOracle.Attester[]\",\"name\":\"next\",\"type\":\"tuple[]\"},{\"components\":[{\"internalType\":\"address\",\"name\":\"addr\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"power\",\"type\":\"uint256\"}],\"internalType\":\"structTartanDataRootOracle.Attester[]\",\"name\":\"current\",\"type\":\"tuple[]\"},{\"components\":[{\"internalType\":\"uint8\",\"name\":\"v\",\"type\":\"uint8\"},{\"internalType\":\"bytes32\",\"name\":\"r\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"s\",\"type\":\"bytes32\"}],\"internalType\":\"structTartanDataRootOracle.Signature[]\",\"name\":\"signatures\",\"type\":\"tuple[]\"}],\"name\":\"updateAttesters\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"_tupleRootNonce\",\"type\":\"uint256\"},{\"components\":[{\"internalType\":\"uint256\",\"name\":\"height\",\"type\":\"uint256\"},{\"internalType\":\"bytes32\",\"name\":\"dataRoot\",\"type\":\"bytes32\"}],\"internalType\":\"structDataRootTuple\",\"name\":\"_tuple\",\"type\":\"tuple\"},{\"components\":[{\"internalType\":\"bytes32[]\",\"name\":\"sideNodes\",\"type\":\"bytes32[]\"},{\"internalType\":\"uint256\",\"name\":\"key\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"numLeaves\",\"type\":\"uint256\"}],\"internalType\":\"structBinaryMerkleProof\",\"name\":\"_proof\",\"type\":\"tuple\"}],\"name\":\"verifyAttestation\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"window\",\"outputs\":[{\"internalType\":\"uint64\",\"name\":\"\",\"type\":\"uint64\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	ID:  "TartanDataRootOracle",
	Bin: "0x61010080604052346103ec576117f2803803809161001d82856103f0565b83398101906080818303126103ec5780516001600160401b0381116103ec5781019180601f840112156103ec578251926001600160401b0384116103d85760405193610073601f8201601f1916602001866103f0565b808552602085019183602083830101116103ec57815f926020809301855e8601015260208301516001600160401b038116918282036103ec5760408501516001600160401b0381116103ec5785019484601f870112156103ec578551946001600160401b0386116103d857604051966100f260208860051b01896103f0565b86885260208801916020839860061b830101918183116103ec57602001925b82841061038d575050505060606101289101610413565b928015908115610381575b5061036857845115610173575f5b8551811015610198576001600160a01b0361015c8288610427565b515116158015610182575b61017357600101610141565b63abe30ac760e01b5f5260045ffd5b50602061018f8288610427565b51015115610167565b508551902060a05260405160208101907f8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f82527f1efc7559867afa58ad05d20ae14923861c9865a63d6633351d2aabc85c414fd060408201527fc89efdaa54c0f20c7adf612882df0950f5a951637e0307cdcb4c672f298b8bc660608201524660808201523060a082015260a0815261023260c0826103f0565b51902060805260c05260e0525f8054600160401b600160801b0319166801000000000000000017815560408051602080820190815294519181018290529260608401929091905b81811061033d577fc76b4d2c041016bd3dc0c448940485b34eb29b72739b8fe645264aeedcda6984604087876102b8818903601f1981018352826103f0565b519020806001558151905f82526020820152a16040516113a290816104508239608051818181610190015281816104370152610932015260a051818181610113015281816103b101526108c5015260c05181818161053201528181610596015281816109f501528181610d4a0152610e87015260e05181818161062b0152610a450152f35b825180516001600160a01b031685526020908101518186015260409094019390920191600101610279565b63cd06df3f60e01b5f526001600452600160245260445ffd5b6127109150115f610133565b6040848303126103ec576040805191908201906001600160401b038211838310176103d85760409260209284526103c387610413565b81528287015183820152815201930192610111565b634e487b7160e01b5f52604160045260245ffd5b5f80fd5b601f909101601f19168101906001600160401b038211908210176103d857604052565b51906001600160a01b03821682036103ec57565b805182101561043b5760209160051b010190565b634e487b7160e01b5f52603260045260245ffdfe6080806040526004361015610012575f80fd5b5f3560e01c908163054f7d9c14610bf05750806307e2da9614610bc75780631f3302a914610a69578063452a932014610a19578063461645bf146109d5578063501c1858146109b85780636fb171a5146106e55780637e932d32146105f65780638c255d5c1461026d578063a1744f6d14610243578063ce0bb7e41461021d578063e8b598d5146102005763eafa3707146100ab575f80fd5b346101fc5760806003193601126101fc576100c4610ce8565b6044359067ffffffffffffffff82168092036101fc576020916040519067ffffffffffffffff848301937f012309fbefcd75edd96176e695bf013084f4eb7df60d9c4b3e4a1c52587b402985527f00000000000000000000000000000000000000000000000000000000000000006040850152600435606085015216608083015260a082015260643560c082015260c0815261016160e082610c2d565b5190206040517f19010000000000000000000000000000000000000000000000000000000000008382019081527f0000000000000000000000000000000000000000000000000000000000000000600282015260228101929092526101f181604284015b037fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe08101835282610c2d565b519020604051908152f35b5f80fd5b346101fc575f6003193601126101fc576020600254604051908152f35b346101fc575f6003193601126101fc57602067ffffffffffffffff5f5416604051908152f35b346101fc5760206003193601126101fc576004355f526003602052602060405f2054604051908152f35b346101fc5760a06003193601126101fc5760043567ffffffffffffffff81168091036101fc5761029b610ce8565b6044359160643567ffffffffffffffff81116101fc576102bf903690600401610c86565b909260843567ffffffffffffffff81116101fc576102e1903690600401610cb7565b9290915f5460ff8160801c166105ce5767ffffffffffffffff8160401c16808714801590610587575b61052357506040516020810190610326816101c5878c86610ee3565b519020600154036104fb5767ffffffffffffffff60019116019167ffffffffffffffff83116104ce577f34dd3689f5bd77a60a3ff2e09483dcab032fa2f1fd7227af3e24bed21beab1cb94602094610478926040519967ffffffffffffffff888c01977f012309fbefcd75edd96176e695bf013084f4eb7df60d9c4b3e4a1c52587b402989528c60407f000000000000000000000000000000000000000000000000000000000000000091015216968760608d01528a60808d015267ffffffffffffffff87169b8c60a08201528d60c082015260c0815261040860e082610c2d565b5190206040517f19010000000000000000000000000000000000000000000000000000000000008a82019081527f00000000000000000000000000000000000000000000000000000000000000006002820152602281019290925261047081604284016101c5565b519020610fc0565b815f52600383528660405f2055817fffffffffffffffffffffffffffffffff000000000000000000000000000000006fffffffffffffffff00000000000000005f549360401b16921617175f55604051908152a4005b7f4e487b71000000000000000000000000000000000000000000000000000000005f52601160045260245ffd5b7f6b12e57d000000000000000000000000000000000000000000000000000000005f5260045ffd5b67ffffffffffffffff906105577f000000000000000000000000000000000000000000000000000000000000000082610f3f565b907fcd06df3f000000000000000000000000000000000000000000000000000000005f526004521660245260445ffd5b5067ffffffffffffffff6105bb7f000000000000000000000000000000000000000000000000000000000000000083610f3f565b1667ffffffffffffffff8416141561030a565b7fa8cab3d1000000000000000000000000000000000000000000000000000000005f5260045ffd5b346101fc5760206003193601126101fc576004358015158091036101fc5773ffffffffffffffffffffffffffffffffffffffff7f00000000000000000000000000000000000000000000000000000000000000001633036106bd5760207f7c029deaca9b6c66abb68e5f874a812822f0fcaa52a890f980a7ab1afb5edba6915f547fffffffffffffffffffffffffffffff00ffffffffffffffffffffffffffffffff70ff000000000000000000000000000000008360801b169116175f55604051908152a1005b7fef6d0f02000000000000000000000000000000000000000000000000000000005f5260045ffd5b346101fc5760606003193601126101fc5760043567ffffffffffffffff81116101fc57610716903690600401610c86565b60243567ffffffffffffffff81116101fc57610736903690600401610c86565b909260443567ffffffffffffffff81116101fc57610758903690600401610cb7565b9460ff5f5460801c166105ce57604051602081019061077c816101c5888686610ee3565b519020600154036104fb5761079085610c6e565b9461079e6040519687610c2d565b808652602086018160061b85013681116101fc5785915b81831061098057505050855115610807575f5b86518110156108455773ffffffffffffffffffffffffffffffffffffffff6107f08289610f61565b51511615801561082f575b610807576001016107c8565b7fabe30ac7000000000000000000000000000000000000000000000000000000005f5260045ffd5b50602061083c8289610f61565b510151156107fb565b508660025493600185018095116104ce577fc76b4d2c041016bd3dc0c448940485b34eb29b72739b8fe645264aeedcda6984966040966101c561089561096b968a51928391602083019586610ee3565b51902094875160208101907ffa607cf239610537312392bbb3d18093ceb4f961cc3dc22ebaea09d2a341958882527f00000000000000000000000000000000000000000000000000000000000000008a8201528860608201528760808201526080815261090360a082610c2d565b51902088517f1901000000000000000000000000000000000000000000000000000000000000602082019081527f00000000000000000000000000000000000000000000000000000000000000006022830152604282019290925261047081606281016101c5565b806001558160025582519182526020820152a1005b6040833603126101fc576020604091825161099a81610c11565b6109a386610ec2565b815282860135838201528152019201916107b5565b346101fc575f6003193601126101fc576020600154604051908152f35b346101fc575f6003193601126101fc57602060405167ffffffffffffffff7f0000000000000000000000000000000000000000000000000000000000000000168152f35b346101fc575f6003193601126101fc57602060405173ffffffffffffffffffffffffffffffffffffffff7f0000000000000000000000000000000000000000000000000000000000000000168152f35b346101fc5760806003193601126101fc5760407fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffdc3601126101fc57604051610ab081610c11565b6024358152604435602082015260643567ffffffffffffffff81116101fc57606060031982360301126101fc576040516060810181811067ffffffffffffffff821117610b9a57604052816004013567ffffffffffffffff81116101fc57820192366023850112156101fc576004840135610b2a81610c6e565b90610b386040519283610c2d565b80825260051b8501602401602082013682116101fc57602460209701905b828210610b8b57505050610b8193604491845260248101358685015201356040830152600435610d19565b6040519015158152f35b81358152908701908701610b56565b7f4e487b71000000000000000000000000000000000000000000000000000000005f52604160045260245ffd5b346101fc575f6003193601126101fc57602067ffffffffffffffff5f5460401c16604051908152f35b346101fc575f6003193601126101fc5760209060ff5f5460801c1615158152f35b6040810190811067ffffffffffffffff821117610b9a57604052565b90601f7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe0910116810190811067ffffffffffffffff821117610b9a57604052565b67ffffffffffffffff8111610b9a5760051b60200190565b9181601f840112156101fc5782359167ffffffffffffffff83116101fc576020808501948460061b0101116101fc57565b9181601f840112156101fc5782359167ffffffffffffffff83116101fc57602080850194606085020101116101fc57565b6024359067ffffffffffffffff821682036101fc57565b919082039182116104ce57565b919082018092116104ce57565b91909180158015610eae575b8015610e76575b610e6f578251905f198101918183116104ce5767ffffffffffffffff7f000000000000000000000000000000000000000000000000000000000000000016928381029381850414901517156104ce57600183018093116104ce57610d966020850193845190610d0c565b03610e67575f52600360205260205f604081205494604051908380830191805183520151604083015260408252610dce606083610c2d565b610e1a60216040518093878201958787525180918484015e8101868382015203017fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe08101835282610c2d565b604051918291518091835e8101838152039060025afa15610e5c57610e4a915f519151604082015191519261123a565b919082610e5657505090565b14919050565b6040513d5f823e3d90fd5b505050505f90565b5050505f90565b50604082015167ffffffffffffffff7f0000000000000000000000000000000000000000000000000000000000000000161415610d2c565b5067ffffffffffffffff5f54168111610d25565b359073ffffffffffffffffffffffffffffffffffffffff821682036101fc57565b60208082528101839052604001915f5b818110610f005750505090565b90919260408060019273ffffffffffffffffffffffffffffffffffffffff610f2788610ec2565b16815260208781013590820152019401929101610ef3565b9067ffffffffffffffff8091169116019067ffffffffffffffff82116104ce57565b8051821015610f755760209160051b010190565b7f4e487b71000000000000000000000000000000000000000000000000000000005f52603260045260245ffd5b9190811015610f755760061b0190565b3560ff811681036101fc5790565b93919081830361120b57939291905f945f945f945b83861061105557505050505050806003026003810482036104ce577f7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff831683036104ce578260011b1015611027575050565b7fa07c49af000000000000000000000000000000000000000000000000000000005f5260045260245260445ffd5b9091929394959661107590602061106d898888610fa2565b013590610d0c565b9685871015610f755760608702820160ff61108f82610fb2565b16156112015760408101357f7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0811180156111d4575b6111a8576080825f9260206110d98196610fb2565b9260ff604051948b8652168285015201356040830152606082015282805260015afa15610e5c5773ffffffffffffffffffffffffffffffffffffffff5f51168015908115611173575b506111475761113a600191602061106d8a8989610fa2565b965b019493929190610fd5565b867fa1c97319000000000000000000000000000000000000000000000000000000005f5260045260245ffd5b9050611180888787610fa2565b359073ffffffffffffffffffffffffffffffffffffffff82168092036101fc5714155f611122565b887fa1c97319000000000000000000000000000000000000000000000000000000005f5260045260245ffd5b50601b60ff6111e284610fb2565b16141580156110c45750601c60ff6111f984610fb2565b1614156110c4565b509560019061113c565b507f27cd5f12000000000000000000000000000000000000000000000000000000005f5260045260245260445ffd5b9291928315801561133b575b6112d9575f9384929083905b600181116112e357505050838351036112d957925f925f19820192828411915b8386106112855750505050505090600190565b909185966112968295969784610f61565b51916104ce576001918280866112ac8c8c610cff565b1c16036112ca57906112bd91611345565b965b019493929190611272565b6112d391611345565b966112bf565b505050505f905f90565b9195909360015f1984011e60ff031b90816112fe878a610cff565b1061133257906113178161131d936001861b1797610d0c565b93610cff565b905b5f1981146104ce57600101959190611252565b9492509061131f565b5083821015611246565b60415f9160209360405191600183536001830152602182015260025afa156101fc575f519056fea264697066735822122070265a61cfd19d7e281fc4808331e93a717bef60f23117d100fa7ffe51c0bc4964736f6c63430008250033",
}

// TartanDataRootOracle is an auto generated Go binding around an Ethereum contract.
type TartanDataRootOracle struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *TartanDataRootOracle) GetABI() abi.ABI {
	return c.abi
}

// NewTartanDataRootOracle creates a new instance of TartanDataRootOracle.
func NewTartanDataRootOracle() *TartanDataRootOracle {
	parsed, err := TartanDataRootOracleMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &TartanDataRootOracle{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *TartanDataRootOracle) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackConstructor is the Go binding used to pack the parameters required for
// contract deployment.
//
// Solidity: constructor(string tartanChainId, uint64 window_, (address,uint256)[] attesters, address guardian_) returns()
func (tartanDataRootOracle *TartanDataRootOracle) PackConstructor(tartanChainId string, window_ uint64, attesters []TartanDataRootOracleAttester, guardian_ common.Address) []byte {
	enc, err := tartanDataRootOracle.abi.Pack("", tartanChainId, window_, attesters, guardian_)
	if err != nil {
		panic(err)
	}
	return enc
}

// PackAttesterSetNonce is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe8b598d5.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function attesterSetNonce() view returns(uint256)
func (tartanDataRootOracle *TartanDataRootOracle) PackAttesterSetNonce() []byte {
	enc, err := tartanDataRootOracle.abi.Pack("attesterSetNonce")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAttesterSetNonce is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe8b598d5.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function attesterSetNonce() view returns(uint256)
func (tartanDataRootOracle *TartanDataRootOracle) TryPackAttesterSetNonce() ([]byte, error) {
	return tartanDataRootOracle.abi.Pack("attesterSetNonce")
}

// UnpackAttesterSetNonce is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xe8b598d5.
//
// Solidity: function attesterSetNonce() view returns(uint256)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackAttesterSetNonce(data []byte) (*big.Int, error) {
	out, err := tartanDataRootOracle.abi.Unpack("attesterSetNonce", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackAttestersHash is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x501c1858.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function attestersHash() view returns(bytes32)
func (tartanDataRootOracle *TartanDataRootOracle) PackAttestersHash() []byte {
	enc, err := tartanDataRootOracle.abi.Pack("attestersHash")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAttestersHash is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x501c1858.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function attestersHash() view returns(bytes32)
func (tartanDataRootOracle *TartanDataRootOracle) TryPackAttestersHash() ([]byte, error) {
	return tartanDataRootOracle.abi.Pack("attestersHash")
}

// UnpackAttestersHash is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x501c1858.
//
// Solidity: function attestersHash() view returns(bytes32)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackAttestersHash(data []byte) ([32]byte, error) {
	out, err := tartanDataRootOracle.abi.Unpack("attestersHash", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackCommitRange is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8c255d5c.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function commitRange(uint64 startBlock, uint64 endBlock, bytes32 dataCommitment, (address,uint256)[] attesters, (uint8,bytes32,bytes32)[] signatures) returns()
func (tartanDataRootOracle *TartanDataRootOracle) PackCommitRange(startBlock uint64, endBlock uint64, dataCommitment [32]byte, attesters []TartanDataRootOracleAttester, signatures []TartanDataRootOracleSignature) []byte {
	enc, err := tartanDataRootOracle.abi.Pack("commitRange", startBlock, endBlock, dataCommitment, attesters, signatures)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackCommitRange is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8c255d5c.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function commitRange(uint64 startBlock, uint64 endBlock, bytes32 dataCommitment, (address,uint256)[] attesters, (uint8,bytes32,bytes32)[] signatures) returns()
func (tartanDataRootOracle *TartanDataRootOracle) TryPackCommitRange(startBlock uint64, endBlock uint64, dataCommitment [32]byte, attesters []TartanDataRootOracleAttester, signatures []TartanDataRootOracleSignature) ([]byte, error) {
	return tartanDataRootOracle.abi.Pack("commitRange", startBlock, endBlock, dataCommitment, attesters, signatures)
}

// PackCommitmentDigest is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xeafa3707.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function commitmentDigest(uint256 nonce, uint64 startBlock, uint64 endBlock, bytes32 dataCommitment) view returns(bytes32)
func (tartanDataRootOracle *TartanDataRootOracle) PackCommitmentDigest(nonce *big.Int, startBlock uint64, endBlock uint64, dataCommitment [32]byte) []byte {
	enc, err := tartanDataRootOracle.abi.Pack("commitmentDigest", nonce, startBlock, endBlock, dataCommitment)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackCommitmentDigest is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xeafa3707.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function commitmentDigest(uint256 nonce, uint64 startBlock, uint64 endBlock, bytes32 dataCommitment) view returns(bytes32)
func (tartanDataRootOracle *TartanDataRootOracle) TryPackCommitmentDigest(nonce *big.Int, startBlock uint64, endBlock uint64, dataCommitment [32]byte) ([]byte, error) {
	return tartanDataRootOracle.abi.Pack("commitmentDigest", nonce, startBlock, endBlock, dataCommitment)
}

// UnpackCommitmentDigest is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xeafa3707.
//
// Solidity: function commitmentDigest(uint256 nonce, uint64 startBlock, uint64 endBlock, bytes32 dataCommitment) view returns(bytes32)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackCommitmentDigest(data []byte) ([32]byte, error) {
	out, err := tartanDataRootOracle.abi.Unpack("commitmentDigest", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackDataCommitments is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa1744f6d.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function dataCommitments(uint256 ) view returns(bytes32)
func (tartanDataRootOracle *TartanDataRootOracle) PackDataCommitments(arg0 *big.Int) []byte {
	enc, err := tartanDataRootOracle.abi.Pack("dataCommitments", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackDataCommitments is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa1744f6d.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function dataCommitments(uint256 ) view returns(bytes32)
func (tartanDataRootOracle *TartanDataRootOracle) TryPackDataCommitments(arg0 *big.Int) ([]byte, error) {
	return tartanDataRootOracle.abi.Pack("dataCommitments", arg0)
}

// UnpackDataCommitments is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xa1744f6d.
//
// Solidity: function dataCommitments(uint256 ) view returns(bytes32)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackDataCommitments(data []byte) ([32]byte, error) {
	out, err := tartanDataRootOracle.abi.Unpack("dataCommitments", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// PackFrozen is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x054f7d9c.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function frozen() view returns(bool)
func (tartanDataRootOracle *TartanDataRootOracle) PackFrozen() []byte {
	enc, err := tartanDataRootOracle.abi.Pack("frozen")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackFrozen is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x054f7d9c.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function frozen() view returns(bool)
func (tartanDataRootOracle *TartanDataRootOracle) TryPackFrozen() ([]byte, error) {
	return tartanDataRootOracle.abi.Pack("frozen")
}

// UnpackFrozen is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x054f7d9c.
//
// Solidity: function frozen() view returns(bool)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackFrozen(data []byte) (bool, error) {
	out, err := tartanDataRootOracle.abi.Unpack("frozen", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackGuardian is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x452a9320.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function guardian() view returns(address)
func (tartanDataRootOracle *TartanDataRootOracle) PackGuardian() []byte {
	enc, err := tartanDataRootOracle.abi.Pack("guardian")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackGuardian is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x452a9320.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function guardian() view returns(address)
func (tartanDataRootOracle *TartanDataRootOracle) TryPackGuardian() ([]byte, error) {
	return tartanDataRootOracle.abi.Pack("guardian")
}

// UnpackGuardian is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x452a9320.
//
// Solidity: function guardian() view returns(address)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackGuardian(data []byte) (common.Address, error) {
	out, err := tartanDataRootOracle.abi.Unpack("guardian", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackLatestBlock is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x07e2da96.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function latestBlock() view returns(uint64)
func (tartanDataRootOracle *TartanDataRootOracle) PackLatestBlock() []byte {
	enc, err := tartanDataRootOracle.abi.Pack("latestBlock")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackLatestBlock is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x07e2da96.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function latestBlock() view returns(uint64)
func (tartanDataRootOracle *TartanDataRootOracle) TryPackLatestBlock() ([]byte, error) {
	return tartanDataRootOracle.abi.Pack("latestBlock")
}

// UnpackLatestBlock is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x07e2da96.
//
// Solidity: function latestBlock() view returns(uint64)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackLatestBlock(data []byte) (uint64, error) {
	out, err := tartanDataRootOracle.abi.Unpack("latestBlock", data)
	if err != nil {
		return *new(uint64), err
	}
	out0 := *abi.ConvertType(out[0], new(uint64)).(*uint64)
	return out0, nil
}

// PackProofNonce is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xce0bb7e4.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function proofNonce() view returns(uint64)
func (tartanDataRootOracle *TartanDataRootOracle) PackProofNonce() []byte {
	enc, err := tartanDataRootOracle.abi.Pack("proofNonce")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackProofNonce is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xce0bb7e4.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function proofNonce() view returns(uint64)
func (tartanDataRootOracle *TartanDataRootOracle) TryPackProofNonce() ([]byte, error) {
	return tartanDataRootOracle.abi.Pack("proofNonce")
}

// UnpackProofNonce is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xce0bb7e4.
//
// Solidity: function proofNonce() view returns(uint64)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackProofNonce(data []byte) (uint64, error) {
	out, err := tartanDataRootOracle.abi.Unpack("proofNonce", data)
	if err != nil {
		return *new(uint64), err
	}
	out0 := *abi.ConvertType(out[0], new(uint64)).(*uint64)
	return out0, nil
}

// PackSetFrozen is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x7e932d32.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function setFrozen(bool frozen_) returns()
func (tartanDataRootOracle *TartanDataRootOracle) PackSetFrozen(frozen bool) []byte {
	enc, err := tartanDataRootOracle.abi.Pack("setFrozen", frozen)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSetFrozen is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x7e932d32.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function setFrozen(bool frozen_) returns()
func (tartanDataRootOracle *TartanDataRootOracle) TryPackSetFrozen(frozen bool) ([]byte, error) {
	return tartanDataRootOracle.abi.Pack("setFrozen", frozen)
}

// PackUpdateAttesters is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x6fb171a5.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function updateAttesters((address,uint256)[] next, (address,uint256)[] current, (uint8,bytes32,bytes32)[] signatures) returns()
func (tartanDataRootOracle *TartanDataRootOracle) PackUpdateAttesters(next []TartanDataRootOracleAttester, current []TartanDataRootOracleAttester, signatures []TartanDataRootOracleSignature) []byte {
	enc, err := tartanDataRootOracle.abi.Pack("updateAttesters", next, current, signatures)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackUpdateAttesters is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x6fb171a5.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function updateAttesters((address,uint256)[] next, (address,uint256)[] current, (uint8,bytes32,bytes32)[] signatures) returns()
func (tartanDataRootOracle *TartanDataRootOracle) TryPackUpdateAttesters(next []TartanDataRootOracleAttester, current []TartanDataRootOracleAttester, signatures []TartanDataRootOracleSignature) ([]byte, error) {
	return tartanDataRootOracle.abi.Pack("updateAttesters", next, current, signatures)
}

// PackVerifyAttestation is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x1f3302a9.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function verifyAttestation(uint256 _tupleRootNonce, (uint256,bytes32) _tuple, (bytes32[],uint256,uint256) _proof) view returns(bool)
func (tartanDataRootOracle *TartanDataRootOracle) PackVerifyAttestation(tupleRootNonce *big.Int, tuple DataRootTuple, proof BinaryMerkleProof) []byte {
	enc, err := tartanDataRootOracle.abi.Pack("verifyAttestation", tupleRootNonce, tuple, proof)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackVerifyAttestation is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x1f3302a9.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function verifyAttestation(uint256 _tupleRootNonce, (uint256,bytes32) _tuple, (bytes32[],uint256,uint256) _proof) view returns(bool)
func (tartanDataRootOracle *TartanDataRootOracle) TryPackVerifyAttestation(tupleRootNonce *big.Int, tuple DataRootTuple, proof BinaryMerkleProof) ([]byte, error) {
	return tartanDataRootOracle.abi.Pack("verifyAttestation", tupleRootNonce, tuple, proof)
}

// UnpackVerifyAttestation is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x1f3302a9.
//
// Solidity: function verifyAttestation(uint256 _tupleRootNonce, (uint256,bytes32) _tuple, (bytes32[],uint256,uint256) _proof) view returns(bool)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackVerifyAttestation(data []byte) (bool, error) {
	out, err := tartanDataRootOracle.abi.Unpack("verifyAttestation", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackWindow is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x461645bf.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function window() view returns(uint64)
func (tartanDataRootOracle *TartanDataRootOracle) PackWindow() []byte {
	enc, err := tartanDataRootOracle.abi.Pack("window")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackWindow is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x461645bf.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function window() view returns(uint64)
func (tartanDataRootOracle *TartanDataRootOracle) TryPackWindow() ([]byte, error) {
	return tartanDataRootOracle.abi.Pack("window")
}

// UnpackWindow is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x461645bf.
//
// Solidity: function window() view returns(uint64)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackWindow(data []byte) (uint64, error) {
	out, err := tartanDataRootOracle.abi.Unpack("window", data)
	if err != nil {
		return *new(uint64), err
	}
	out0 := *abi.ConvertType(out[0], new(uint64)).(*uint64)
	return out0, nil
}

// TartanDataRootOracleAttestersUpdated represents a AttestersUpdated event raised by the TartanDataRootOracle contract.
type TartanDataRootOracleAttestersUpdated struct {
	SetNonce      *big.Int
	AttestersHash [32]byte
	Raw           *types.Log // Blockchain specific contextual infos
}

const TartanDataRootOracleAttestersUpdatedEventName = "AttestersUpdated"

// ContractEventName returns the user-defined event name.
func (TartanDataRootOracleAttestersUpdated) ContractEventName() string {
	return TartanDataRootOracleAttestersUpdatedEventName
}

// UnpackAttestersUpdatedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event AttestersUpdated(uint256 setNonce, bytes32 attestersHash)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackAttestersUpdatedEvent(log *types.Log) (*TartanDataRootOracleAttestersUpdated, error) {
	event := "AttestersUpdated"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != tartanDataRootOracle.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(TartanDataRootOracleAttestersUpdated)
	if len(log.Data) > 0 {
		if err := tartanDataRootOracle.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range tartanDataRootOracle.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// TartanDataRootOracleDataCommitmentStored represents a DataCommitmentStored event raised by the TartanDataRootOracle contract.
type TartanDataRootOracleDataCommitmentStored struct {
	ProofNonce     *big.Int
	StartBlock     uint64
	EndBlock       uint64
	DataCommitment [32]byte
	Raw            *types.Log // Blockchain specific contextual infos
}

const TartanDataRootOracleDataCommitmentStoredEventName = "DataCommitmentStored"

// ContractEventName returns the user-defined event name.
func (TartanDataRootOracleDataCommitmentStored) ContractEventName() string {
	return TartanDataRootOracleDataCommitmentStoredEventName
}

// UnpackDataCommitmentStoredEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event DataCommitmentStored(uint256 proofNonce, uint64 indexed startBlock, uint64 indexed endBlock, bytes32 indexed dataCommitment)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackDataCommitmentStoredEvent(log *types.Log) (*TartanDataRootOracleDataCommitmentStored, error) {
	event := "DataCommitmentStored"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != tartanDataRootOracle.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(TartanDataRootOracleDataCommitmentStored)
	if len(log.Data) > 0 {
		if err := tartanDataRootOracle.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range tartanDataRootOracle.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// TartanDataRootOracleFrozenSet represents a FrozenSet event raised by the TartanDataRootOracle contract.
type TartanDataRootOracleFrozenSet struct {
	Frozen bool
	Raw    *types.Log // Blockchain specific contextual infos
}

const TartanDataRootOracleFrozenSetEventName = "FrozenSet"

// ContractEventName returns the user-defined event name.
func (TartanDataRootOracleFrozenSet) ContractEventName() string {
	return TartanDataRootOracleFrozenSetEventName
}

// UnpackFrozenSetEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event FrozenSet(bool frozen)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackFrozenSetEvent(log *types.Log) (*TartanDataRootOracleFrozenSet, error) {
	event := "FrozenSet"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != tartanDataRootOracle.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(TartanDataRootOracleFrozenSet)
	if len(log.Data) > 0 {
		if err := tartanDataRootOracle.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range tartanDataRootOracle.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// UnpackError attempts to decode the provided error data using user-defined
// error definitions.
func (tartanDataRootOracle *TartanDataRootOracle) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], tartanDataRootOracle.abi.Errors["BadAttesterSet"].ID.Bytes()[:4]) {
		return tartanDataRootOracle.UnpackBadAttesterSetError(raw[4:])
	}
	if bytes.Equal(raw[:4], tartanDataRootOracle.abi.Errors["BadSignature"].ID.Bytes()[:4]) {
		return tartanDataRootOracle.UnpackBadSignatureError(raw[4:])
	}
	if bytes.Equal(raw[:4], tartanDataRootOracle.abi.Errors["Frozen"].ID.Bytes()[:4]) {
		return tartanDataRootOracle.UnpackFrozenError(raw[4:])
	}
	if bytes.Equal(raw[:4], tartanDataRootOracle.abi.Errors["NoQuorum"].ID.Bytes()[:4]) {
		return tartanDataRootOracle.UnpackNoQuorumError(raw[4:])
	}
	if bytes.Equal(raw[:4], tartanDataRootOracle.abi.Errors["NotGuardian"].ID.Bytes()[:4]) {
		return tartanDataRootOracle.UnpackNotGuardianError(raw[4:])
	}
	if bytes.Equal(raw[:4], tartanDataRootOracle.abi.Errors["NotNextRange"].ID.Bytes()[:4]) {
		return tartanDataRootOracle.UnpackNotNextRangeError(raw[4:])
	}
	if bytes.Equal(raw[:4], tartanDataRootOracle.abi.Errors["SignatureCount"].ID.Bytes()[:4]) {
		return tartanDataRootOracle.UnpackSignatureCountError(raw[4:])
	}
	if bytes.Equal(raw[:4], tartanDataRootOracle.abi.Errors["WrongAttesterSet"].ID.Bytes()[:4]) {
		return tartanDataRootOracle.UnpackWrongAttesterSetError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// TartanDataRootOracleBadAttesterSet represents a BadAttesterSet error raised by the TartanDataRootOracle contract.
type TartanDataRootOracleBadAttesterSet struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error BadAttesterSet()
func TartanDataRootOracleBadAttesterSetErrorID() common.Hash {
	return common.HexToHash("0xabe30ac79486160da86671d1fc1bf330fbbed5228546f3082868e6446468095c")
}

// UnpackBadAttesterSetError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error BadAttesterSet()
func (tartanDataRootOracle *TartanDataRootOracle) UnpackBadAttesterSetError(raw []byte) (*TartanDataRootOracleBadAttesterSet, error) {
	out := new(TartanDataRootOracleBadAttesterSet)
	if err := tartanDataRootOracle.abi.UnpackIntoInterface(out, "BadAttesterSet", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TartanDataRootOracleBadSignature represents a BadSignature error raised by the TartanDataRootOracle contract.
type TartanDataRootOracleBadSignature struct {
	Index *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error BadSignature(uint256 index)
func TartanDataRootOracleBadSignatureErrorID() common.Hash {
	return common.HexToHash("0xa1c973190ea39240abfd4da3039e0d94cea4d1e689acfee87f4e7dbabee0f307")
}

// UnpackBadSignatureError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error BadSignature(uint256 index)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackBadSignatureError(raw []byte) (*TartanDataRootOracleBadSignature, error) {
	out := new(TartanDataRootOracleBadSignature)
	if err := tartanDataRootOracle.abi.UnpackIntoInterface(out, "BadSignature", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TartanDataRootOracleFrozen represents a Frozen error raised by the TartanDataRootOracle contract.
type TartanDataRootOracleFrozen struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error Frozen()
func TartanDataRootOracleFrozenErrorID() common.Hash {
	return common.HexToHash("0xa8cab3d1893ed53071b052fafa843143492f25d1d6b0170d460789f7ab1954be")
}

// UnpackFrozenError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error Frozen()
func (tartanDataRootOracle *TartanDataRootOracle) UnpackFrozenError(raw []byte) (*TartanDataRootOracleFrozen, error) {
	out := new(TartanDataRootOracleFrozen)
	if err := tartanDataRootOracle.abi.UnpackIntoInterface(out, "Frozen", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TartanDataRootOracleNoQuorum represents a NoQuorum error raised by the TartanDataRootOracle contract.
type TartanDataRootOracleNoQuorum struct {
	SignedPower *big.Int
	TotalPower  *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NoQuorum(uint256 signedPower, uint256 totalPower)
func TartanDataRootOracleNoQuorumErrorID() common.Hash {
	return common.HexToHash("0xa07c49af08b421a301c72d9d0dd4ebec6a52f25fd56250523cef4fe70de605e4")
}

// UnpackNoQuorumError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NoQuorum(uint256 signedPower, uint256 totalPower)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackNoQuorumError(raw []byte) (*TartanDataRootOracleNoQuorum, error) {
	out := new(TartanDataRootOracleNoQuorum)
	if err := tartanDataRootOracle.abi.UnpackIntoInterface(out, "NoQuorum", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TartanDataRootOracleNotGuardian represents a NotGuardian error raised by the TartanDataRootOracle contract.
type TartanDataRootOracleNotGuardian struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NotGuardian()
func TartanDataRootOracleNotGuardianErrorID() common.Hash {
	return common.HexToHash("0xef6d0f022a6034a270a71b2c18c08f672aa285210fc713e02118a224aabfd50b")
}

// UnpackNotGuardianError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NotGuardian()
func (tartanDataRootOracle *TartanDataRootOracle) UnpackNotGuardianError(raw []byte) (*TartanDataRootOracleNotGuardian, error) {
	out := new(TartanDataRootOracleNotGuardian)
	if err := tartanDataRootOracle.abi.UnpackIntoInterface(out, "NotGuardian", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TartanDataRootOracleNotNextRange represents a NotNextRange error raised by the TartanDataRootOracle contract.
type TartanDataRootOracleNotNextRange struct {
	WantStart uint64
	WantEnd   uint64
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NotNextRange(uint64 wantStart, uint64 wantEnd)
func TartanDataRootOracleNotNextRangeErrorID() common.Hash {
	return common.HexToHash("0xcd06df3f21c7382179fcb959560a97b7a0201fad62b3cceb44b1b46ede084395")
}

// UnpackNotNextRangeError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NotNextRange(uint64 wantStart, uint64 wantEnd)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackNotNextRangeError(raw []byte) (*TartanDataRootOracleNotNextRange, error) {
	out := new(TartanDataRootOracleNotNextRange)
	if err := tartanDataRootOracle.abi.UnpackIntoInterface(out, "NotNextRange", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TartanDataRootOracleSignatureCount represents a SignatureCount error raised by the TartanDataRootOracle contract.
type TartanDataRootOracleSignatureCount struct {
	Attesters  *big.Int
	Signatures *big.Int
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error SignatureCount(uint256 attesters, uint256 signatures)
func TartanDataRootOracleSignatureCountErrorID() common.Hash {
	return common.HexToHash("0x27cd5f1227f7d030b067f23d940162f61941aa88011ade13140b695988f26f7a")
}

// UnpackSignatureCountError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error SignatureCount(uint256 attesters, uint256 signatures)
func (tartanDataRootOracle *TartanDataRootOracle) UnpackSignatureCountError(raw []byte) (*TartanDataRootOracleSignatureCount, error) {
	out := new(TartanDataRootOracleSignatureCount)
	if err := tartanDataRootOracle.abi.UnpackIntoInterface(out, "SignatureCount", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// TartanDataRootOracleWrongAttesterSet represents a WrongAttesterSet error raised by the TartanDataRootOracle contract.
type TartanDataRootOracleWrongAttesterSet struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error WrongAttesterSet()
func TartanDataRootOracleWrongAttesterSetErrorID() common.Hash {
	return common.HexToHash("0x6b12e57d273f6ea78d2657880640df838f864547754ba68fed93cfc417652d2a")
}

// UnpackWrongAttesterSetError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error WrongAttesterSet()
func (tartanDataRootOracle *TartanDataRootOracle) UnpackWrongAttesterSetError(raw []byte) (*TartanDataRootOracleWrongAttesterSet, error) {
	out := new(TartanDataRootOracleWrongAttesterSet)
	if err := tartanDataRootOracle.abi.UnpackIntoInterface(out, "WrongAttesterSet", raw); err != nil {
		return nil, err
	}
	return out, nil
}
