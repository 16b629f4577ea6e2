/*
 * store_zdict.h - the content of the stored-JSON dictionaries: words of
 * vehicle feeds and the canonical field names, written out by hand (see
 * store_zdata.c). Dictionary 0 (schema 14) is this content alone, raw;
 * dictionary 2 (schema 15, store_zdict2.h) is the same content behind
 * entropy tables. Part of the storage format: never edit it.
 */
#ifndef LOTSYNC_STORE_ZDICT_H
#define LOTSYNC_STORE_ZDICT_H

/* clang-format off */
static const char zdict_content[] =
        /* words of vehicle feeds: makes, bodies, fuels, gearboxes, colours, trims, items */
        "Alfa Romeo Aston Martin Audi Bentley BMW Citroën Cupra Dacia Ferrari Fiat Ford "
        "Honda Hyundai Jaguar Jeep Kia Land Rover Lexus Maserati Mazda Mercedes-Benz Mini "
        "Mitsubishi Nissan Opel Peugeot Polestar Porsche Renault Seat Škoda Subaru Suzuki "
        "Tesla Toyota Volkswagen Volvo "
        "Saloon Sedan Hatchback Estate Wagon Coupe Convertible Cabriolet Roadster Minivan "
        "Pickup Crossover SUV Van "
        "Petrol Gasoline Diesel Electric Plug-in Hybrid Mild Hybrid LPG CNG Hydrogen "
        "Semi-automatic Automatic Manual "
        "Black White Silver Grey Gray Blue Red Green Yellow Orange Brown Beige Gold metallic "
        "pearl leather cloth fabric vinyl "
        "Air conditioning|Climate control|Cruise control|Adaptive cruise control|"
        "Navigation system|Parking sensors|Reversing camera|Rear view camera|Heated seats|"
        "Electric windows|Alloy wheels|Tow bar|Bluetooth|Apple CarPlay|Android Auto|"
        "Keyless entry|Sunroof|Panoramic roof|LED headlights|Lane assist|Head-up display|"
        "Leather seats|Heated steering wheel|"
        "Full service history. Warranty. Price incl. VAT "
        "EUR SEK NOK DKK GBP USD certified demo used new in_stock sold pending unavailable "
        "true false km mi mil .jpg|https:// .png|https:// .pdf|https:// https://www."
        /* work-order and person fields (wo.c) */
        "{\"apk_date\":\"\",\"appointment_at\":\"\",\"billed\":\"\",\"canceled\":\"\","
        "\"car_notes\":\"\",\"company\":\"\",\"contractor_id\":\"\",\"created_at\":\"\","
        "\"customer_waiting\":\"\",\"dms_number\":\"\",\"driver_id\":\"\",\"email_business\":"
        "\"\",\"email_private\":\"\",\"engine_number\":\"\",\"first_name\":\"\",\"house_number\":"
        "\"\",\"in_shop\":\"\",\"internal\":\"\",\"last_name\":\"\",\"mobile_business\":\"\","
        "\"mobile_private\":\"\",\"notes\":\"\",\"owner_id\":\"\",\"person_id\":\"\","
        "\"phone_business\":\"\",\"phone_private\":\"\",\"place\":\"\",\"postcode\":\"\","
        "\"scheduled_in_at\":\"\",\"scheduled_out_at\":\"\",\"street\":\"\",\"wo_number\":\"\","
        "\"intervention.001.title\":\"\",\"intervention.001.price\":\"\"}"
        /* the canonical vehicle fields (fields.c), sorted as a record's keys are */
        "{\"availability\":\"\",\"body\":\"\",\"body_style\":\"\",\"campaign_price\":\"\","
        "\"client\":\"\",\"condition\":\"\",\"currency\":\"\",\"dealer_address\":\"\","
        "\"dealer_city\":\"\",\"dealer_country\":\"\",\"dealer_id\":\"\",\"dealer_name\":\"\","
        "\"dealer_postcode\":\"\",\"description\":\"\",\"documents\":\"\",\"drivetrain\":\"\","
        "\"engine\":\"\",\"equipment\":\"\",\"exchange_right\":\"\",\"exterior_color\":\"\","
        "\"first_registration\":\"\",\"fuel\":\"\",\"images\":\"\",\"in_stock_date\":\"\","
        "\"interior_color\":\"\",\"latitude\":\"\",\"leasing_price\":\"\",\"longitude\":\"\","
        "\"make\":\"\",\"mileage\":\"\",\"mileage_unit\":\"km\",\"model\":\"\","
        "\"model_year\":\"\",\"msrp\":\"\",\"old_price\":\"\",\"power_kw\":\"\",\"price\":\"\","
        "\"registration_number\":\"\",\"service_plan\":\"\",\"short_description\":\"\","
        "\"stock_no\":\"\",\"system_code\":\"\",\"title\":\"\",\"transmission\":\"\","
        "\"trim\":\"\",\"vat_deductible\":\"\",\"vdp_url\":\"\",\"vehicle_type\":\"\","
        "\"vin\":\"\",\"warranty\":\"\",\"year\":\"\"}";
/* clang-format on */

#endif
