// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {VectorRunner} from "./utils/VectorRunner.sol";

/// @notice The conformance vectors of `test/vectors/suite/`, one test per scenario, run against
///         the Solidity build. Generated with the files by `cargo run -p tributary-testkit --bin
///         vectors` (testkit/src/vectors/): do not edit.
contract SuiteVectorsTest is VectorRunner {
    function test_registry_01_register_and_read_back() external {
        _run("registry/01-register-and-read-back.json");
    }

    function test_registry_02_register_rejects_malformed_splits() external {
        _run("registry/02-register-rejects-malformed-splits.json");
    }

    function test_registry_03_register_rejects_malformed_offers() external {
        _run("registry/03-register-rejects-malformed-offers.json");
    }

    function test_registry_04_erc_20_offers_need_the_allow_list() external {
        _run("registry/04-erc-20-offers-need-the-allow-list.json");
    }

    function test_registry_05_publish_versions() external {
        _run("registry/05-publish-versions.json");
    }

    function test_registry_06_status_transitions() external {
        _run("registry/06-status-transitions.json");
    }

    function test_registry_07_replace_terms() external {
        _run("registry/07-replace-terms.json");
    }

    function test_registry_08_register_with_the_creator_s_signature() external {
        _run("registry/08-register-with-the-creator-s-signature.json");
    }

    function test_registry_09_signatures_that_must_fail() external {
        _run("registry/09-signatures-that-must-fail.json");
    }

    function test_registry_10_publish_a_version_with_the_creator_s_signature() external {
        _run("registry/10-publish-a-version-with-the-creator-s-signature.json");
    }

    function test_registry_11_status_and_terms_with_the_creator_s_signature() external {
        _run("registry/11-status-and-terms-with-the-creator-s-signature.json");
    }

    function test_registry_12_batch_anchors() external {
        _run("registry/12-batch-anchors.json");
    }

    function test_registry_13_eip_712_domain_and_constants() external {
        _run("registry/13-eip-712-domain-and-constants.json");
    }

    function test_licences_01_purchase_with_eth() external {
        _run("licences/01-purchase-with-eth.json");
    }

    function test_licences_02_purchase_wrong_payments() external {
        _run("licences/02-purchase-wrong-payments.json");
    }

    function test_licences_03_purchase_with_erc_20() external {
        _run("licences/03-purchase-with-erc-20.json");
    }

    function test_licences_04_purchase_dataset_state_and_resent_terms() external {
        _run("licences/04-purchase-dataset-state-and-resent-terms.json");
    }

    function test_licences_05_expiry_at_the_exact_second() external {
        _run("licences/05-expiry-at-the-exact-second.json");
    }

    function test_licences_06_supply_cap() external {
        _run("licences/06-supply-cap.json");
    }

    function test_licences_07_offer_kinds() external {
        _run("licences/07-offer-kinds.json");
    }

    function test_licences_08_custom_licence() external {
        _run("licences/08-custom-licence.json");
    }

    function test_licences_09_royalty_reports_in_an_erc_20() external {
        _run("licences/09-royalty-reports-in-an-erc-20.json");
    }

    function test_licences_10_royalty_reports_in_eth() external {
        _run("licences/10-royalty-reports-in-eth.json");
    }

    function test_licences_11_transfers_move_the_licence() external {
        _run("licences/11-transfers-move-the-licence.json");
    }

    function test_licences_12_holder_index_under_state_and_refreshlicence() external {
        _run("licences/12-holder-index-under-state-and-refreshlicence.json");
    }

    function test_licences_13_erc_721_approvals_and_transfer_checks() external {
        _run("licences/13-erc-721-approvals-and-transfer-checks.json");
    }

    function test_licences_14_pause_switch() external {
        _run("licences/14-pause-switch.json");
    }

    function test_licences_15_collection_metadata_and_erc_165() external {
        _run("licences/15-collection-metadata-and-erc-165.json");
    }

    function test_splits_01_odd_shares_round_down_cumulatively() external {
        _run("splits/01-odd-shares-round-down-cumulatively.json");
    }

    function test_splits_02_erc_20_release_triggered_by_anyone() external {
        _run("splits/02-erc-20-release-triggered-by-anyone.json");
    }

    function test_splits_03_credits_release_is_a_payout_order() external {
        _run("splits/03-credits-release-is-a-payout-order.json");
    }

    function test_splits_04_protocol_fees() external {
        _run("splits/04-protocol-fees.json");
    }

    function test_splits_05_protocol_fee_settings() external {
        _run("splits/05-protocol-fee-settings.json");
    }

    function test_splits_06_allow_list_settings() external {
        _run("splits/06-allow-list-settings.json");
    }

    function test_splits_07_split_changed_mid_way() external {
        _run("splits/07-split-changed-mid-way.json");
    }

    function test_splits_08_zero_protocol_fee() external {
        _run("splits/08-zero-protocol-fee.json");
    }

    function test_credits_01_mint_credits_and_read_them() external {
        _run("credits/01-mint-credits-and-read-them.json");
    }

    function test_credits_02_mint_checks() external {
        _run("credits/02-mint-checks.json");
    }

    function test_credits_03_purchase_with_credits() external {
        _run("credits/03-purchase-with-credits.json");
    }

    function test_credits_04_purchase_with_credits_checks() external {
        _run("credits/04-purchase-with-credits-checks.json");
    }

    function test_credits_05_reversal_flags_the_licences_bought() external {
        _run("credits/05-reversal-flags-the-licences-bought.json");
    }

    function test_credits_06_a_refund_before_the_payment() external {
        _run("credits/06-a-refund-before-the-payment.json");
    }

    function test_credits_07_32_licences_per_payment() external {
        _run("credits/07-32-licences-per-payment.json");
    }

    function test_credits_08_relayer_role() external {
        _run("credits/08-relayer-role.json");
    }
}
